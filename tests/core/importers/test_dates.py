"""Spreadsheet dates as people type them (found importing a European sheet by hand)."""

from datetime import datetime, timezone

from tui.core.importers.cleaning import parse_time


def test_a_dotted_date_is_day_first_as_everywhere_it_is_written():
    got = parse_time("03.11.2026 09:15", "created", timezone.utc)
    assert got == datetime(2026, 11, 3, 9, 15, tzinfo=timezone.utc)
    assert parse_time("3.11.26", "created", timezone.utc).date().isoformat() == "2026-11-03"


def test_a_slashed_date_follows_the_mapping():
    assert parse_time("05/11/2026", "created", timezone.utc).month == 5
    assert parse_time("05/11/2026", "created", timezone.utc, dayfirst=True).month == 11
