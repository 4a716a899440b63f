from datetime import datetime, timezone

import pytest

from tui.core.macros import (VARIABLES, MacroError, builtin_macros, load_macros, parse_macros,
                             render, variables)
from tui.core.models import Customer, Product, Ticket

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_render_is_one_pass():
    values = dict.fromkeys(VARIABLES, "")
    values["customer.first_name"] = "{ticket.id} [/] }{"
    assert render("Hi {customer.first_name}!", values) == "Hi {ticket.id} [/] }{!"
    assert render("{{literal}} {ticket.id}", {**values, "ticket.id": "T-1"}) == "{literal} T-1"


def test_render_errors_are_clear():
    with pytest.raises(MacroError, match="unknown variable {customer.shoe_size}"):
        render("{customer.shoe_size}", {})
    with pytest.raises(MacroError, match="lone '{'"):
        render("a { b", {})
    with pytest.raises(MacroError, match="lone '}'"):
        render("a } b", {})


def test_variables():
    customer = Customer(id="C-1", name="Åse Nordmann", company="Fjord AS", customer_since=NOW)
    ticket = Ticket(id="T-9", customer="C-1", subject="Kaffe", created=NOW, updated=NOW)
    values = variables(ticket, customer, Product(id="P-1", name="Brygg", category="x"), "kari")
    assert values["customer.first_name"] == "Åse" and values["product.name"] == "Brygg"
    assert set(values) == set(VARIABLES)
    assert variables(ticket, None, None, "kari")["customer.name"] == ""


def test_builtin_set_is_valid():
    macros = builtin_macros()
    assert len(macros) >= 4 and all(m.title for m in macros)
    solved = next(m for m in macros if m.status == "solved")
    assert solved.field_changes("kari") == {"status": "solved"}


def test_field_changes_resolve_me_and_none():
    (macro,) = parse_macros('[[macro]]\nid="a"\ntitle="A"\nassignee="me"\npriority="high"', "x")
    assert macro.field_changes("kari") == {"priority": "high", "assignee": "kari"}
    (macro,) = parse_macros('[[macro]]\nid="a"\ntitle="A"\nassignee="none"', "x")
    assert macro.field_changes("kari") == {"assignee": None}


def test_bad_files_fall_back_to_builtin(tmp_path):
    path = tmp_path / "macros.toml"
    assert load_macros(path).source == "built-in"
    path.write_text('[[macro]]\nid="a"\ntitle="A"\nbody="{nope}"')
    result = load_macros(path)
    assert result.source == "built-in" and "unknown variable {nope}" in result.problems[0]
    path.write_text('[[macro]]\nid="a"\ntitle="A"\nstatus="gone"')
    assert "macro a: status" in load_macros(path).problems[0]
    path.write_text("not = [toml")
    assert "not valid TOML" in load_macros(path).problems[0]
    path.write_text('[[macro]]\nid="mine"\ntitle="Mine"\nbody="Hi {customer.name}"')
    result = load_macros(path)
    assert result.source == str(path) and result.get("mine").title == "Mine"
