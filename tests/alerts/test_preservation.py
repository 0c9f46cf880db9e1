"""IPI preservation metrics against the check values in docs/design.md and IPI's mould table."""

from __future__ import annotations

import pytest

from alerts.preservation import (
    MOULD_RESET_MS,
    emc_pct,
    emc_risks,
    mould_days,
    mould_step,
    pi_rating,
    preservation_index,
    twpi,
)


@pytest.mark.parametrize(("t", "rh", "years"), [(20, 50, 44), (20, 40, 58), (15, 40, 109)])
def test_preservation_index_matches_ipi_checks(t: float, rh: float, years: float) -> None:
    assert preservation_index(t, rh) == pytest.approx(years, rel=0.03)


def test_pi_rating_bands() -> None:
    assert [pi_rating(x) for x in (30, 44.9, 45, 74.9, 75, 200)] == ["risk", "risk", "ok", "ok", "good", "good"]


def test_twpi_is_harmonic_mean_and_dominated_by_bad_periods() -> None:
    good, bad = preservation_index(15, 40), preservation_index(28, 70)
    got = twpi([(15, 40), (28, 70)])
    assert got == pytest.approx(2 / (1 / good + 1 / bad))
    assert bad < got < (good + bad) / 2
    with pytest.raises(ValueError):
        twpi([])


def test_emc_of_paper() -> None:
    # FPL wood handbook table: 21.1 °C (70 °F), 50 % RH → about 9.2 % EMC; 30 % → about 6.2 %
    assert emc_pct(21.1, 50) == pytest.approx(9.2, abs=0.3)
    assert emc_pct(21.1, 30) == pytest.approx(6.2, abs=0.3)
    assert emc_risks(emc_pct(21.1, 50)) == []
    assert "corrosion" in emc_risks(emc_pct(21.1, 65))
    assert "mechanical" in emc_risks(emc_pct(21.1, 15))


@pytest.mark.parametrize(("rh", "days"), [(70, 165), (75, 38), (80, 14), (85, 6)])
def test_mould_days_at_20c(rh: float, days: int) -> None:
    assert mould_days(20, rh) == days


@pytest.mark.parametrize(("t", "rh"), [(1, 95), (46, 95), (20, 64), (20, 50), (-5, 100)])
def test_no_mould_risk_outside_the_table(t: float, rh: float) -> None:
    assert mould_days(t, rh) == 0


def test_mould_accumulates_and_resets_after_a_day_unfavourable() -> None:
    acc, since = 0.0, None
    hour = 3_600_000
    ts = 0
    for _ in range(14 * 24):  # 14 days at 20 °C / 80 % (14 days to germination)
        ts += hour
        acc, since = mould_step(acc, since, ts, hour, 20, 80)
    assert acc == pytest.approx(1.0, rel=1e-6)
    for _ in range(23):
        ts += hour
        acc, since = mould_step(acc, since, ts, hour, 20, 50)
    assert acc == pytest.approx(1.0, rel=1e-6)  # not yet 24 h
    ts += MOULD_RESET_MS
    acc, since = mould_step(acc, since, ts, hour, 20, 50)
    assert acc == 0.0
