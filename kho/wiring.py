"""Wires packages together for the processes kho runs (collector service, web app).

The only module besides the CLI and app that may import from every package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from collector.reading import StreamConsumer
from kho.settings import Settings


def build_consumers(
    settings: Settings, sessions: sessionmaker[Session], health: Callable[[], dict[str, Any]]
) -> list[StreamConsumer]:
    """Stream consumers the collector feeds (the alert engine). ``health`` returns the collector's health dict."""
    return []
