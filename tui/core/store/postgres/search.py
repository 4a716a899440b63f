"""Search every ticket (closed ones too) on PostgreSQL, as the data directory's search index
answers it: every word of the query, each matched by its beginning in the folded subject and
thread (the `folded` column), newest first, with the words around the first match."""

from __future__ import annotations

from typing import Any

from ...search_index import SearchHit, match_query, snippet, ticket_text


def word_start(word: str) -> str:
    """A regular expression for `word` at the start of a word of folded text (folded words
    are letters and digits only, so they need no escaping)."""
    return f"(^|[^[:alnum:]]){word}"


class PostgresSearch:
    """Mixed into PostgresStore, which supplies `_read(fn)`."""

    def search_everywhere(self, text: str, limit: int = 50) -> list[SearchHit]:
        _, words = match_query(text)
        if not words:
            return []
        where = " AND ".join(["folded ~ %s"] * len(words))
        rows = self._read(lambda conn: conn.execute(  # type: ignore[attr-defined]
            f"SELECT doc, status = 'closed' FROM tickets WHERE {where} ORDER BY num DESC LIMIT %s",
            [*map(word_start, words), limit]).fetchall())
        return [hit(doc, archived, words) for doc, archived in rows]

    def warm_search_index(self) -> None:
        """Nothing to build: the `folded` column is written with each ticket."""


def hit(doc: dict[str, Any], archived: bool, words: list[str]) -> SearchHit:
    return SearchHit(ticket_id=doc["id"], status=str(doc.get("status", "")),
                     subject=str(doc.get("subject", "")), archived=archived,
                     snippet=snippet(ticket_text(doc), words))
