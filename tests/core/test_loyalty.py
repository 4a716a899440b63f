from datetime import datetime, timedelta, timezone

from tui.core.loyalty import csat_trend, loyalty, outcome
from tui.core.models import Customer, Purchase, Satisfaction, Ticket

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def customer():
    return Customer(id="C-1", name="Ana Popescu", customer_since=NOW - timedelta(days=800))


def purchase(n, amount, currency="NOK"):
    return Purchase(id=f"O-{n}", customer="C-1", product="P-1", date=NOW - timedelta(days=n),
                    amount=amount, currency=currency, channel="online")


def ticket(n, score=None, **kw):
    sat = Satisfaction(score=score, date=NOW - timedelta(days=100 - n)) if score else None
    return Ticket(id=f"T-{n}", customer="C-1", subject="s", created=NOW, updated=NOW,
                  satisfaction=sat, **kw)


def test_loyalty_summary():
    result = loyalty(customer(), [purchase(1, 100), purchase(2, 50.5), purchase(3, 10, "EUR")],
                     [ticket(1, 2), ticket(2, 3), ticket(3, 5), ticket(4, 5), ticket(5)], NOW)
    assert result.tenure_days == 800
    assert result.purchases == 3 and result.repeat_buyer
    assert result.spend == {"NOK": 150.5, "EUR": 10}
    assert result.csat_n == 4 and result.csat_avg == 3.75
    assert result.csat_trend == "up"


def test_new_customer():
    result = loyalty(customer(), [purchase(1, 10)], [ticket(1)], NOW)
    assert not result.repeat_buyer
    assert result.csat_avg is None and result.csat_trend is None


def test_trend():
    assert csat_trend([5]) is None
    assert csat_trend([5, 4, 2, 1]) == "down"
    assert csat_trend([4, 4, 4]) == "steady"


def test_outcome():
    assert outcome(ticket(1)) == "open"
    assert outcome(ticket(2, status="solved")) == "solved"
    assert outcome(ticket(3, status="solved", resolution_code="refund")) == "refund"
