"""The wheel carries every package, the stylesheets and the demo store."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tui").rglob("__init__.py")}
    assert found <= listed, f"add these to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_contains_stylesheets_and_demo_store(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("desk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tui/demo_store/store.json" in names
    assert "tui/demo_store/events.jsonl" in names
    tcss = {n for n in (str(p.relative_to(ROOT)) for p in (ROOT / "tui").rglob("*.tcss"))}
    assert tcss <= names
