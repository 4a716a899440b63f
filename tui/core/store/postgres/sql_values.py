"""Values made for SQL: record ids as table keys, and LIKE patterns that take the user's
text literally."""


def like_pattern(needle: str) -> str:
    """`needle` anywhere, its LIKE wildcards taken literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def record_number(record_id: str, prefix: str) -> int | None:
    """`T-1042` -> 1042; None if `record_id` is not one of `prefix`'s ids (ASCII digits,
    as many as a bigint holds: queue_table._record_key's SQL says the same)."""
    head, _, digits = record_id.partition("-")
    if head != prefix or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(digits)
