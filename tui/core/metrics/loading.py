"""From parsed lines to the events `compute` uses: validation, dedupe, visibility, order."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from .config import MetricsConfig
from .events import ATTRIBUTES, KNOWN_TYPES, STATUSES, TICKET_FLAGS, WORK_TYPES_WITH_TICKET, Event
from .integrity import sequence_warnings
from .reading import ReadSummary
from .times import format_time, parse_time

STREAMS = ("work", "ticket")
SOURCES = ("app", "import", "system")
FIELD_CHANGE_FIELDS = frozenset(ATTRIBUTES) - {"source"}


@dataclass
class LoadedLog:
    events: list[Event]
    counts: dict[str, int]
    warnings: list[dict[str, Any]] = field(default_factory=list)


def load_events(
    raw_events: Iterable[Any], config: MetricsConfig, as_of: int, read: ReadSummary | None = None
) -> LoadedLog:
    """Keep valid, first-seen, visible (ts ≤ as_of) events of known types, in global order."""
    from_files = read is not None
    read = read or ReadSummary()
    counts = {"invalid_events": 0, "duplicates": 0, "unknown_types": 0, "not_yet_visible": 0}
    warnings: list[dict[str, Any]] = list(read.warnings)
    seen: set[str] = set()
    visible: list[Event] = []
    used: list[Event] = []
    total = 0
    for raw in raw_events:
        total += 1
        problem = envelope_problem(raw)
        if problem:
            counts["invalid_events"] += 1
            warnings.append(_invalid_warning(raw, problem))
            continue
        if raw["id"] in seen:
            counts["duplicates"] += 1
            continue
        seen.add(raw["id"])
        event = _build_event(raw)
        if event.ts > as_of:
            counts["not_yet_visible"] += 1
            continue
        visible.append(event)
        if event.type not in KNOWN_TYPES:
            counts["unknown_types"] += 1
            continue
        problem = payload_problem(event, config)
        if problem:
            counts["invalid_events"] += 1
            warnings.append(_invalid_warning(raw, problem))
            continue
        used.append(event)
    if counts["duplicates"]:
        warnings.append(
            {"code": "duplicate_id", "detail": f"ignored {counts['duplicates']} event(s) with an already seen id",
             "value": counts["duplicates"]}
        )
    warnings.extend(sequence_warnings(visible))
    used.sort(key=Event.sort_key)
    ordered = [replace(event, order=rank) for rank, event in enumerate(used)]
    input_counts = {
        "lines": read.lines if from_files else total,
        "events": len(ordered),
        "torn_lines": read.torn_lines,
        "bad_lines": read.bad_lines,
        **counts,
    }
    return LoadedLog(ordered, input_counts, warnings)


def envelope_problem(raw: Any) -> str | None:
    """Why an object is not a valid §B.3.2 envelope, or None."""
    if not isinstance(raw, dict):
        return "not an object"
    for key in ("v", "seq"):
        if not _is_int(raw.get(key)):
            return f"`{key}` is missing or not an integer"
    for key in ("id", "type"):
        if not _is_text(raw.get(key)):
            return f"`{key}` is missing or not a string"
    if raw.get("stream") not in STREAMS:
        return "`stream` is missing or not work/ticket"
    if raw.get("src") not in SOURCES:
        return "`src` is missing or not app/import/system"
    if not isinstance(raw.get("data"), dict):
        return "`data` is missing or not an object"
    try:
        parse_time(raw.get("ts"))
    except (ValueError, TypeError):
        return "`ts` is missing or not an RFC 3339 time"
    if raw["src"] == "app":
        if not _is_int(raw.get("mono_ms")):
            return "app event without an integer `mono_ms`"
        for key in ("agent", "session", "run"):
            if not _is_text(raw.get(key)):
                return f"app event without `{key}`"
    needs_ticket = raw["stream"] == "ticket" or raw["type"] in WORK_TYPES_WITH_TICKET
    if needs_ticket and not _is_text(raw.get("ticket")):
        return f"`{raw['type']}` without `ticket`"
    return None


def payload_problem(event: Event, config: MetricsConfig) -> str | None:
    """Why a known event's data is out of range, or None."""
    data = event.data
    kind = event.type
    if kind == "status_change" and data.get("to") not in STATUSES:
        return "status_change with an unknown `to` status"
    if kind == "csat_response":
        score = data.get("score")
        if not _is_int(score) or not 1 <= score <= config.csat_scale_max:
            return f"csat_response score {score!r} outside 1..{config.csat_scale_max}"
    if kind == "manual_time" and not _is_int(data.get("seconds")):
        return "manual_time without integer `seconds`"
    if kind == "merge" and not _is_text(data.get("into")):
        return "merge without `into`"
    if kind == "link_repeat" and (
        not _is_text(data.get("original")) or data.get("kind") not in ("follow_up", "repeat")
    ):
        return "link_repeat without `original` or with an unknown `kind`"
    if kind == "mark" and (
        data.get("flag") not in (*TICKET_FLAGS, "ack_only") or not isinstance(data.get("value"), bool)
    ):
        return "mark with an unknown `flag` or a non-boolean `value`"
    if kind == "field_change" and data.get("field") not in FIELD_CHANGE_FIELDS:
        return "field_change of an unknown `field`"
    if kind == "interaction_start" and (
        not _is_text(data.get("interaction")) or data.get("kind") not in ("call", "chat")
    ):
        return "interaction_start without `interaction` or with an unknown `kind`"
    if kind in ("interaction_end", "hold_start", "hold_end") and not _is_text(data.get("interaction")):
        return f"{kind} without `interaction`"
    if kind in ("interaction_start", "interaction_end") and not isinstance(data.get("leg"), (int, str, type(None))):
        return f"{kind} with a `leg` that is not a number or a string"
    if kind == "assign" and not (
        _is_text_or_none(data.get("to_agent")) and _is_text_or_none(data.get("to_group"))
        and data.get("kind", "assign") in ("assign", "transfer", "escalate")
    ):
        return "assign with a non-string `to_agent`/`to_group` or an unknown `kind`"
    if kind == "app_focus" and not isinstance(data.get("focused"), bool):
        return "app_focus without a boolean `focused`"
    if kind == "fcr_survey_response" and not isinstance(data.get("resolved"), bool):
        return "fcr_survey_response without a boolean `resolved`"
    return None


def _build_event(raw: dict[str, Any]) -> Event:
    return Event(
        id=raw["id"],
        stream=raw["stream"],
        seq=raw["seq"],
        ts=parse_time(raw["ts"]),
        type=raw["type"],
        src=raw["src"],
        data=raw["data"],
        mono=raw["mono_ms"] if _is_int(raw.get("mono_ms")) else None,
        agent=_text_or_none(raw.get("agent")),
        session=_text_or_none(raw.get("session")),
        run=_text_or_none(raw.get("run")),
        ticket=_text_or_none(raw.get("ticket")),
    )


def _invalid_warning(raw: Any, problem: str) -> dict[str, Any]:
    ident = raw.get("id") if isinstance(raw, dict) and _is_text(raw.get("id")) else "?"
    warning: dict[str, Any] = {"code": "invalid_event", "detail": f"event {ident}: {problem}"}
    try:
        warning["ts"] = format_time(parse_time(raw.get("ts")))
    except (ValueError, TypeError, AttributeError):
        pass
    return warning


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _is_text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _text_or_none(value: Any) -> str | None:
    return value if _is_text(value) else None
