"""A sync killed (SIGKILL, client or far side) at a random instant leaves both stores valid,
and running it again converges with nothing lost or doubled (the benchmark runs 50+)."""

from __future__ import annotations

import pytest

from .killing import trial


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_sync_converges_when_run_again(tmp_path, seed):
    _victim, _where, problems = trial(tmp_path / "t", seed)
    assert problems == []
