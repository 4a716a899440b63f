"""Golden cases (metrics-spec Part C): run the real `desk metrics` CLI and check every path.

Cases come from `tests/golden/cases/` and, when it exists, from `../shared/golden/` beside the
repository (preferred on a name clash), so a new case folder is picked up without code changes.
Each case runs twice: from its events.jsonl, and from a PostgreSQL store it was migrated into
(DESK_TEST_POSTGRES; skipped without one, failed under DESK_CI=1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.core.postgres_server import postgres_schema  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]
CASE_DIRS = (REPO / "tests" / "golden" / "cases", REPO.parent / "shared" / "golden")
FALLBACK_MAIN = "import sys; from tui.cli.metrics import main; sys.exit(main(sys.argv[1:]))"
SELECTOR = re.compile(r"^(?P<name>[^\[]+)\[(?P<filters>[^\]]+)\]$")
FLOAT_TOLERANCE = 1e-3


def find_cases() -> dict[str, Path]:
    cases: dict[str, Path] = {}
    for root in CASE_DIRS:  # later roots win: the shared copy is preferred
        if root.is_dir():
            for folder in root.iterdir():
                if (folder / "expected.json").is_file():
                    cases[folder.name] = folder
    return dict(sorted(cases.items()))


def case_runs() -> list[Any]:
    runs = []
    for name, folder in find_cases().items():
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        for as_of in expected["as_of"]:
            runs.append(pytest.param(folder, as_of, id=f"{name}@{as_of}"))
    return runs


def metrics_command(folder: Path, as_of: str, store: str | None = None) -> list[str]:
    """`desk metrics` of the case's events.jsonl, or of the PostgreSQL store `store`."""
    if (REPO / "tui" / "__main__.py").is_file():
        prefix = [sys.executable, "-m", "tui"]
    else:
        prefix = [sys.executable, "-c", FALLBACK_MAIN]
    config = folder / "config.json"
    source = ["--events", str(folder / "events.jsonl")] if store is None else ["--store", store]
    return [
        *prefix, "metrics", *source, "--as-of", as_of,
        *(["--config", str(config)] if config.is_file() else []), "--format", "json",
    ]


def run_metrics(folder: Path, as_of: str, store: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        metrics_command(folder, as_of, store), cwd=REPO, env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


def split_path(path: str) -> list[str]:
    """Split on dots outside `[...]` selectors (selector values may hold dots)."""
    parts, current, depth = [], "", 0
    for char in path:
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current += char
    return [*parts, current]


def resolve(document: Any, path: str) -> Any:
    """§B.10 paths: dotted keys, list indexes and `name[key=value,...]` selectors."""
    node = document
    for part in split_path(path):
        selector = SELECTOR.match(part)
        if selector:
            wanted = dict(pair.split("=", 1) for pair in selector["filters"].split(","))
            matches = [
                element for element in node[selector["name"]]
                if all(as_selector_text(element.get(key)) == value for key, value in wanted.items())
            ]
            assert len(matches) == 1, f"{part} matched {len(matches)} elements"
            node = matches[0]
        elif isinstance(node, list):
            node = node[int(part)]
        else:
            assert part in node, f"no key {part!r} in {sorted(node)}"
            node = node[part]
    return node


def as_selector_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def same_value(actual: Any, expected: Any) -> bool:
    """Floats on either side compare within 1e-3; everything else exactly (bool is not int)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    numbers = (int, float)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        if isinstance(actual, float) or isinstance(expected, float):
            return abs(actual - expected) <= FLOAT_TOLERANCE
    return type(actual) is type(expected) and actual == expected


def test_cases_are_found():
    assert find_cases(), f"no golden cases under {CASE_DIRS}"


@pytest.mark.parametrize(("folder", "as_of"), case_runs())
def test_golden_case(folder: Path, as_of: str):
    assert_checks(folder, as_of, run_metrics(folder, as_of))


# What reading a file found (§B.3.4): a table of events has no torn or damaged lines, since
# the migration copies only the events it could read. Everything else must be the same.
FILE_READING = ("input.lines", "input.torn_lines", "input.bad_lines")
FILE_WARNINGS = ("torn_line", "bad_line")


@pytest.mark.parametrize(("folder", "as_of"), case_runs())
def test_golden_case_on_postgres(folder: Path, as_of: str, postgres_schema: str, tmp_path: Path):
    """The case's events migrated into a PostgreSQL store (`desk migrate`, as a team would),
    then `desk metrics --store`: the expected values, and the very document the file gives."""
    from tui.core.permissions import init_store
    from tui.core.store.postgres.migrate import migrate_to_postgres

    store = tmp_path / "store"
    init_store(store)
    shutil.copyfile(folder / "events.jsonl", store / "events.jsonl")
    migrate_to_postgres(store, postgres_schema)
    document = run_metrics(folder, as_of, postgres_schema)
    assert_checks(folder, as_of, document, skip=FILE_READING)
    assert document["input"]["torn_lines"] == document["input"]["bad_lines"] == 0
    from_file = run_metrics(folder, as_of)
    assert without_file_reading(document) == without_file_reading(from_file)


def without_file_reading(document: dict[str, Any]) -> dict[str, Any]:
    inputs = {k: v for k, v in document["input"].items() if f"input.{k}" not in FILE_READING}
    warnings = [w for w in document["warnings"] if w["code"] not in FILE_WARNINGS]
    return {**document, "input": inputs, "warnings": warnings}


def assert_checks(folder: Path, as_of: str, document: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    failures = []
    for check in expected["checks"]:
        if check["as_of"] != as_of or check["path"] in skip:
            continue
        try:
            actual = resolve(document, check["path"])
        except (AssertionError, KeyError, IndexError, TypeError, ValueError) as exc:
            failures.append(f"{check['path']}: cannot resolve ({exc})")
            continue
        if not same_value(actual, check["value"]):
            failures.append(f"{check['path']}: expected {check['value']!r}, got {actual!r}")
    assert not failures, f"{folder.name} as of {as_of}:\n" + "\n".join(failures)
