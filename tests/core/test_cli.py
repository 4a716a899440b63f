"""The `desk` command line: demo, check, errors as one clear line."""

import subprocess
import sys

import orjson
import pytest

from tui.cli import main


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_check_passes_on_the_demo_store(capsys):
    from tui.core.paths import demo_store

    assert main(["check", "--data-dir", str(demo_store())]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_names_the_broken_record_and_field(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--tickets", "30"]) == 0
    path = tmp_path / "store.json"
    tables = orjson.loads(path.read_bytes())
    key = next(iter(tables["tickets"]))
    tables["tickets"][key]["priority"] = "whenever"
    path.write_bytes(orjson.dumps(tables))
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["check", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"store.json: record T-{key}: field priority:" in out
    assert path.read_bytes() == before


def test_check_reports_truncated_json_without_touching_it(tmp_path, capsys):
    main(["demo", "--out", str(tmp_path), "--tickets", "10"])
    path = tmp_path / "store.json"
    path.write_bytes(path.read_bytes()[:-40])
    before = path.read_bytes()
    assert main(["check", "--data-dir", str(tmp_path)]) == 1
    assert "not valid JSON" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_data_dir_comes_from_the_environment(tmp_path, monkeypatch, capsys):
    main(["demo", "--out", str(tmp_path), "--tickets", "10"])
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path))
    assert main(["check"]) == 0
    assert str(tmp_path) in capsys.readouterr().out


def test_demo_refuses_to_overwrite_a_store(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--tickets", "5"]) == 0
    assert main(["demo", "--out", str(tmp_path), "--tickets", "5"]) == 2


def test_usage_error_is_one_line_and_exit_2():
    result = run("frobnicate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_opening_a_missing_store_explains_what_to_do(tmp_path):
    result = run("--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "desk --demo" in result.stderr and "Traceback" not in result.stderr


def test_opening_a_corrupt_store_is_refused_with_a_message(tmp_path):
    main(["demo", "--out", str(tmp_path), "--tickets", "5"])
    (tmp_path / "store.json").write_bytes(b'{"tickets": {"1": ')
    result = run("--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "store.json" in result.stderr and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "store.json").read_bytes() == b'{"tickets": {"1": '


@pytest.mark.parametrize("flag", ["--agent", "--as"])
def test_agent_cannot_be_chosen_on_the_command_line(flag):
    assert run(flag, "bob").returncode == 2


def test_help_and_typos_list_every_subcommand():
    for args in (["--help"], ["metrcs"]):
        result = run(*args)
        listed = result.stdout + result.stderr
        assert "metrics" in listed and "report" in listed, (args, listed)


def test_metrics_and_report_parse_after_global_options(tmp_path):
    for command in ("metrics", "report"):
        result = run("--data-dir", str(tmp_path), command, "--help")
        assert result.returncode == 0, result.stderr
        assert command in result.stdout


def test_opening_the_app_does_not_import_the_reporting_commands(tmp_path):
    """Start-up time: the metrics and report CLIs are imported only for their subcommands."""
    code = ("import sys; from tui.cli import build_parser; "
            f"build_parser(['--data-dir', {str(tmp_path)!r}]).parse_args(['--data-dir', {str(tmp_path)!r}]); "
            "print(sorted(m for m in ('tui.cli.metrics', 'tui.cli.report') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
