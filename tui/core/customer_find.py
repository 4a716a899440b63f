"""Find a customer as the agent types: by name, email or phone, case- and accent-insensitive
(`vanzari` finds `Vânzări`), best matches first."""

from __future__ import annotations

import re
from typing import Iterable

from .models import Customer
from .textfold import fold

_NOT_DIGIT = re.compile(r"\D")
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def _rank(customer: Customer, words: list[str], digits: str) -> int | None:
    """0 is best; None: no match. Every typed word must match the name, email or company."""
    national = digits.lstrip("0")  # 040 123… is +358 40 123…
    if len(national) >= 4 and customer.phone and national in _digits(customer.phone):
        return 0
    name = fold(customer.name)
    haystack = " ".join([name, fold(customer.email or ""), fold(customer.company or "")])
    if not words or not all(word in haystack for word in words):
        return None
    name_words = name.split()
    if all(any(n.startswith(w) for n in name_words) for w in words):
        return 1  # "ai vir" → Aino Virtanen
    if customer.email and fold(customer.email).startswith(words[0]):
        return 2
    return 3


def find_customers(customers: Iterable[Customer], typed: str, limit: int = 8) -> list[Customer]:
    words = fold(typed).split()
    digits = _digits(typed) if _PHONE_LIKE.fullmatch(typed.strip()) else ""
    ranked = [(rank, customer.name, customer.id, customer) for customer in customers
              if (rank := _rank(customer, words, digits)) is not None]
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked[:limit]]
