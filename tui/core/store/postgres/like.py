"""LIKE patterns with the user's text taken literally."""


def like_pattern(needle: str) -> str:
    """`needle` anywhere, its LIKE wildcards taken literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
