"""Values made for SQL: record ids as table keys, and LIKE patterns that take the user's
text literally."""


def like_pattern(needle: str) -> str:
    """`needle` anywhere, its LIKE wildcards taken literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def record_number(record_id: str, prefix: str) -> int | None:
    """`T-1042` -> 1042; None if `record_id` is not one of `prefix`'s ids."""
    head, _, digits = record_id.partition("-")
    if head != prefix or not digits.isdigit():
        return None
    return int(digits)
