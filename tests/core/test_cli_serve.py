"""`desk serve` without a browser: a warning and the token when bound beyond loopback, and
one-line refusals of a missing store or a bad port."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from tests.ui.test_browser import URL, free_port, wait_for_port
from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.paths import demo_store


def test_bound_beyond_loopback_it_warns_and_wants_the_token(tmp_path):
    copy_demo(demo_store(), tmp_path / "store", datetime.now(timezone.utc))
    port = free_port()
    env = {**os.environ, "DESK_CONFIG_DIR": str(tmp_path / "config")}
    process = subprocess.Popen([sys.executable, "-m", "tui", "--data-dir", str(tmp_path / "store"),
                                "serve", "--host", "0.0.0.0", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        warning = process.stderr.readline()
        assert "WARNING" in warning and "0.0.0.0" in warning and "your agent" in warning
        url = URL.search(process.stdout.readline()).group(1)
        local = url.replace("0.0.0.0", "127.0.0.1")
        wait_for_port(port)  # the URL is printed just before the server listens
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(local.split("?")[0], timeout=30)
        assert refused.value.code == 403
        with urllib.request.urlopen(local, timeout=30) as page:
            assert page.status == 200
    finally:
        process.terminate()
        process.wait(15)


def test_no_store_and_a_bad_port_are_one_line(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "none"), "serve"]) == 2
    assert "no store" in capsys.readouterr().err
    copy_demo(demo_store(), tmp_path / "store", datetime.now(timezone.utc))
    assert main(["--data-dir", str(tmp_path / "store"), "serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "not a port" in err and len(err.splitlines()) == 1
