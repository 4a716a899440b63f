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


def test_a_time_parsed_once_still_follows_its_zone_and_order_and_names_each_column():
    # Each distinct cell is parsed once (cleaning._parsed); what it means may not be shared
    # across zones or day orders, and a bad cell names the column it is in every time.
    import pytest
    from zoneinfo import ZoneInfo

    from tui.core.importers.records import BadValue

    assert parse_time("2026-05-11 09:00", "created", timezone.utc).hour == 9
    assert parse_time("2026-05-11 09:00", "created", ZoneInfo("Europe/Oslo")).hour == 7
    assert parse_time("05/11/2026", "created", timezone.utc).month == 5
    assert parse_time("05/11/2026", "created", timezone.utc, dayfirst=True).month == 11
    for column in ("created", "solved", "created"):
        with pytest.raises(BadValue) as err:
            parse_time("next tuesday-ish", column, timezone.utc)
        assert (err.value.column, err.value.reason) == (column, "'next tuesday-ish' is not a date or time")
    with pytest.raises(BadValue, match="not a plausible date"):
        parse_time("1066-10-14", "purchased", timezone.utc)
