from datetime import datetime, timezone

from tui.core import humanize


def test_duration():
    assert humanize.duration(45 * 60) == "45m"
    assert humanize.duration(3 * 3600 + 12 * 60) == "3h12m"
    assert humanize.duration(-(2 * 86400 + 4 * 3600)) == "-2d4h"
    assert humanize.duration(3600) == "1h"
    assert humanize.duration(130 * 86400) == "130d"
    assert humanize.duration(-30) == "-0m"


def test_age_clock_tenure_money():
    assert humanize.age(90) == "1m"
    assert humanize.age(5 * 3600) == "5h"
    assert humanize.age(3 * 86400) == "3d"
    assert humanize.age(30 * 86400) == "4w"
    assert humanize.clock(245) == "4:05"
    assert humanize.clock(3723) == "1:02:03"
    assert humanize.tenure(800) == "2 y 2 mo"
    assert humanize.tenure(12) == "12 d"
    assert humanize.money(1234.5, "NOK") == "1,234.50 NOK"


def test_local_dates():
    value = datetime(2026, 3, 4, 10, 22, tzinfo=timezone.utc)
    assert len(humanize.local_datetime(value)) == 16
    assert humanize.local_date(value).startswith("2026-03-0")
