"""The benchmark scripts keep working: each quick run completes and its JSON last line holds its figures.

Only that they run and that nothing was lost is asserted here; their speed is for the benchmarks themselves
(docs/benchmarks.md), never for a unit test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_alert_latency_quick_delivers_every_smoke_alert_once() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "alert_latency.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    summary = orjson.loads(r.stdout.strip().splitlines()[-1])
    assert summary["events"] == 20 and summary["lost"] == 0 and summary["duplicated"] == 0, summary
    assert summary["p50_ms"] > 0 and summary["background_rps"] > 0, summary
