"""tui/core is the UI-free core: it never imports textual, directly or indirectly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import tui.core

CORE = Path(tui.core.__file__).parent
TEXTUAL_IMPORT = re.compile(r"^\s*(import\s+textual\b|from\s+textual\b)", re.MULTILINE)

PROBE = textwrap.dedent("""
    import importlib, json, sys
    from pathlib import Path
    import tui.core
    core = Path(tui.core.__file__).parent
    names, failed = [], {}
    for path in sorted(core.rglob("*.py")):  # from disk: namespace packages included
        parts = path.relative_to(core.parent.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed[name] = repr(exc)
    loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    print(json.dumps({"modules": names, "failed": failed, "textual": loaded}))
""")


def test_importing_every_core_module_does_not_load_textual():
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,
                         text=True).stdout
    result = json.loads(out)
    expected = {"tui.core." + p.relative_to(CORE).with_suffix("").as_posix().replace("/", ".")
                for p in CORE.rglob("*.py") if p.name != "__init__.py"}
    assert expected <= set(result["modules"])  # every module was tried
    assert len(result["modules"]) > 10
    assert {"tui.core.store.tinydb.store", "tui.core.store.ticket_writes", "tui.core.eventlog", "tui.core.models"} <= expected
    assert result["failed"] == {}
    assert result["textual"] == []


def test_no_core_source_imports_textual():
    offenders = [str(p.relative_to(CORE)) for p in CORE.rglob("*.py")
                 if TEXTUAL_IMPORT.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_static_check_would_catch_an_import():
    assert TEXTUAL_IMPORT.search("x = 1\n    from textual.app import App\n")
    assert TEXTUAL_IMPORT.search("import textual\n")
    assert not TEXTUAL_IMPORT.search("import textualize_helper\n# uses no textual\n")


def test_the_app_on_a_data_directory_does_not_load_psycopg():
    """psycopg (about a tenth of desk's imports) loads only when a PostgreSQL store is opened:
    schema 3's queue table had made every start import it."""
    probe = ("import sys, tui.app, tui.cli, tui.core.store; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


def test_the_app_on_a_data_directory_does_not_load_the_postgres_backend():
    """Nor the PostgreSQL backend's own modules (about 50 ms of each start): they load when
    a PostgreSQL store is opened or `PostgresStore` is first asked for."""
    probe = ("import sys, tui.app, tui.cli, tui.core.store; "
             "before = sorted(m for m in sys.modules if m.startswith('tui.core.store.postgres.')); "
             "from tui.core.store import PostgresStore; "
             "print(before, PostgresStore.__module__)")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "['tui.core.store.postgres.connection'] tui.core.store.postgres.store"
