"""Shared-host permissions: desk init --shared, world-writable refused, world-readable warned."""

import grp
import os
import stat
import subprocess
import sys

import pytest

from tui.cli import main
from tui.core.permissions import world_readable_warning
from tui.core.store import StoreError, TinyDBStore

GROUP = grp.getgrgid(os.getgid()).gr_name


def test_init_shared_makes_a_setgid_group_only_store(tmp_path, capsys):
    target = tmp_path / "team"
    assert main(["init", "--shared", str(target), "--group", GROUP, "--demo"]) == 0
    mode = target.stat().st_mode
    assert mode & stat.S_ISGID and stat.S_IMODE(mode) & 0o777 == 0o770
    for path in target.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o660, path
        assert path.stat().st_gid == grp.getgrnam(GROUP).gr_gid
    assert main(["check", "--data-dir", str(target)]) == 0
    assert world_readable_warning(target) is None


def test_init_never_overwrites_a_store(tmp_path):
    assert main(["init", "--data-dir", str(tmp_path / "s")]) == 0
    before = (tmp_path / "s" / "store.json").read_bytes()
    assert main(["init", "--data-dir", str(tmp_path / "s"), "--demo"]) == 2
    assert (tmp_path / "s" / "store.json").read_bytes() == before


def test_init_shared_needs_a_real_group(tmp_path, capsys):
    assert main(["init", "--shared", str(tmp_path / "t"), "--group", "no-such-group-xyz"]) == 2
    assert "no group" in capsys.readouterr().err


def test_a_world_writable_store_is_refused(tmp_path):
    main(["init", "--data-dir", str(tmp_path / "s")])
    os.chmod(tmp_path / "s", 0o777)
    with pytest.raises(StoreError, match="world-writable"):
        TinyDBStore(tmp_path / "s", agent="ana")


def test_a_world_readable_store_is_warned_about(tmp_path):
    main(["init", "--data-dir", str(tmp_path / "s")])
    os.chmod(tmp_path / "s", 0o755)
    assert "readable by every user" in world_readable_warning(tmp_path / "s")
    result = subprocess.run([sys.executable, "-m", "tui", "--data-dir", str(tmp_path / "s"), "check"],
                            capture_output=True, text=True)
    assert result.returncode == 0


@pytest.mark.parametrize("mode", [0o3773, 0o1777, 0o2777, 0o0757], ids=oct)
def test_a_directory_others_can_write_to_is_refused_sticky_or_not(tmp_path, mode, capsys):
    """The sticky bit keeps others from removing files they do not own, not from adding
    the ones that are missing (a journal, the event log) or swapping their own."""
    target = tmp_path / "s"
    main(["init", "--data-dir", str(target)])
    os.chmod(target, mode)
    with pytest.raises(StoreError, match=f"^{target}: the data directory is world-writable "
                                         rf".*Fix it with: chmod o-w {target}$"):
        TinyDBStore(target, agent="ana")
    assert main(["check", "--data-dir", str(target)]) == 1
    out = capsys.readouterr().out
    assert f"{target}: record -: field -: the data directory is world-writable" in out


def test_the_chmod_in_the_message_fixes_it(tmp_path):
    target = tmp_path / "s"
    main(["init", "--data-dir", str(target)])
    os.chmod(target, 0o3773)
    with pytest.raises(StoreError) as refused:
        TinyDBStore(target, agent="ana")
    subprocess.run(str(refused.value).rsplit("Fix it with: ", 1)[1].split(), check=True)
    TinyDBStore(target, agent="ana").close()
    assert main(["check", "--data-dir", str(target)]) == 0
