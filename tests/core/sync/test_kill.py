"""A sync killed (SIGKILL, client or far side) at a random instant leaves both stores valid,
and running it again converges with nothing lost or doubled (the benchmark runs 50+)."""

from __future__ import annotations

import pytest

from .killing import calibrate, trial


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    return calibrate(tmp_path_factory.mktemp("calibration") / "c", 30, 8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_sync_converges_when_run_again(tmp_path, seed, window):
    _victim, _where, problems = trial(tmp_path / "t", seed, window=window)
    assert problems == []
