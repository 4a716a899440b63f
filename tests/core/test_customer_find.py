"""Finding a caller as the agent types: name words, email, company or phone digits."""

from datetime import datetime, timezone

from tui.core.customer_find import find_customers
from tui.core.models import Customer

SINCE = datetime(2024, 1, 1, tzinfo=timezone.utc)
PEOPLE = [
    Customer(id="C-1", name="Aino Virtanen", email="aino@kahvila.fi", phone="+358 40 123 4567",
             company="Virtasen Kahvila Oy", customer_since=SINCE),
    Customer(id="C-2", name="Ion Popescu", email="ion@vanzari.ro", company="Vânzări Nord SRL",
             customer_since=SINCE),
    Customer(id="C-3", name="Virpi Ainola", email="virpi@example.fi", customer_since=SINCE),
]


def ids(typed: str) -> list[str]:
    return [c.id for c in find_customers(PEOPLE, typed)]


def test_name_word_prefixes_come_first_then_other_matches():
    assert ids("ai vir") == ["C-1", "C-3"]  # both match; Aino Virtanen by name prefixes
    assert ids("virpi") == ["C-3"]


def test_accents_and_case_do_not_matter_and_email_and_company_match():
    assert ids("VANZARI") == ["C-2"] and ids("vânzări nord") == ["C-2"]
    assert ids("kahvila.fi") == ["C-1"]


def test_a_phone_number_matches_its_digits_whatever_the_spacing():
    assert ids("040 1234567") == ["C-1"] and ids("40 123 45") == ["C-1"]  # a national 0 too
    assert ids("+358-40-123-4567") == ["C-1"]


def test_nothing_typed_or_nothing_matching_finds_nobody():
    assert ids("") == [] and ids("zzz") == []
