"""A user outside the team on a shared host (issue 13: "a user outside the group deleted one
ticket and forged another, and desk check said OK"). Run as another uid: root would hide it."""

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from tests.core.other_user import INTRUDER, MEMBER, TEAM, needs_root, run_as, team  # noqa: F401
from tui.cli import main
from tui.core.check import check_store
from tui.core.fileio import crc_line
from tui.core.store import StoreError, TinyDBStore
from tui.core.store.tinydb.journal import JournaledCollection

pytestmark = needs_root


@pytest.fixture
def base():
    """A directory every user can enter (pytest's tmp_path is root's alone, which would
    stop the intruder before the store's own permissions are tried)."""
    path = Path(tempfile.mkdtemp(prefix="desk-intruder-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def store_dir(base, team):
    target = base / "team"
    assert main(["init", "--shared", str(target), "--group", TEAM, "--demo"]) == 0
    return target


def tickets(store_dir):
    store = TinyDBStore(store_dir, agent="checker")
    try:
        return {d["id"]: d for d in store.ticket_docs()}
    finally:
        store.close()


def forge(store_dir: Path, line: bytes) -> str:
    """What the intruder does: write a journal (the store has none yet) that deletes T-1 and
    adds a ticket of their own."""
    fd = os.open(store_dir / "store.journal", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.write(fd, line)
    os.close(fd)
    return "forged"


def forged_line(store_dir: Path) -> bytes:
    doc = dict(tickets(store_dir)["T-2"], id="T-999", subject="Refund approved, wire 5000 EUR")
    return crc_line({"ops": [["tickets", "1", None], ["tickets", "999", doc]]})


def try_everything(store_dir: Path, line: bytes) -> list[str]:
    """Every way in the intruder tries; the errors they got."""
    refused = []
    attempts = {
        "forge a journal": lambda: forge(store_dir, line),
        "append to the snapshot": lambda: open(store_dir / "store.json", "ab").close(),
        "delete the snapshot": lambda: os.unlink(store_dir / "store.json"),
        "replace the snapshot": lambda: os.rename(store_dir / "events.jsonl", store_dir / "store.json"),
        "write through desk": lambda: TinyDBStore(store_dir, agent=INTRUDER).insert_ticket(
            customer="C-1", subject="x", body="y"),
    }
    for what, attempt in attempts.items():
        try:
            attempt()
        except OSError as exc:  # StoreError or PermissionError
            refused.append(f"{what}: {type(exc).__name__}")
    return refused


def test_a_member_writes_and_a_user_outside_the_group_can_neither_forge_nor_delete(store_dir):
    line = forged_line(store_dir)
    before = tickets(store_dir)
    # a member of the group (a supplementary one) works in the store as desk means it to
    wrote = run_as(MEMBER, lambda: TinyDBStore(store_dir, agent=MEMBER).insert_ticket(
        customer="C-1", subject="From a member", body="hello").id)
    assert wrote.ok, wrote.value
    # and its files (the journal it made is its own) are the team's: desk opens the store
    assert (store_dir / "store.journal").stat().st_uid == run_as(MEMBER, os.geteuid).value
    TinyDBStore(store_dir, agent="ana").close()
    assert set(tickets(store_dir)) == set(before) | {wrote.value}
    # someone outside the group gets nowhere
    (store_dir / "store.journal").unlink()  # the forge needs a missing journal: give it one
    outcome = run_as(INTRUDER, try_everything, store_dir, line)
    assert outcome.ok and len(outcome.value) == 5, outcome.value
    after = tickets(store_dir)
    assert "T-1" in after and "T-999" not in after
    assert [p for p in check_store(store_dir) if p.fatal] == []


def test_in_a_sticky_world_writable_directory_the_intruder_forges_and_desk_refuses(store_dir,
                                                                                 capsys):
    line = forged_line(store_dir)
    os.chmod(store_dir, 0o3773)  # the sticky bit "protects" the files others own
    outcome = run_as(INTRUDER, forge, store_dir, line)
    assert outcome.ok, outcome.value  # nothing stopped them
    raw = JournaledCollection(store_dir / "store.json", store_dir / "store.journal")
    raw.load()  # what desk would show, were it to open the store
    assert "1" not in raw.tables["tickets"] and raw.tables["tickets"]["999"]["id"] == "T-999"

    intruder = f"{INTRUDER} \\(uid {os.stat(store_dir / 'store.journal').st_uid}\\)"
    with pytest.raises(StoreError, match=f"^{store_dir}: the data directory is world-writable"):
        TinyDBStore(store_dir, agent="ana")
    assert main(["check", "--data-dir", str(store_dir)]) == 1
    out = capsys.readouterr().out
    assert f"{store_dir}: record -: field -: the data directory is world-writable" in out
    assert f"{store_dir / 'store.journal'}: record -: field -: is owned by {INTRUDER}" in out

    # the directory fixed, the intruder's file is still refused, by name and owner
    os.chmod(store_dir, 0o2770)
    with pytest.raises(StoreError, match=f"^{store_dir / 'store.journal'}: is owned by "
                                         f"{intruder}, who is not in the group {TEAM}"):
        TinyDBStore(store_dir, agent="ana")
    # removed, the store is as it was before the intruder came
    (store_dir / "store.journal").unlink()
    assert "T-1" in tickets(store_dir) and main(["check", "--data-dir", str(store_dir)]) == 0


def test_membership_by_the_primary_group_counts(store_dir, team):
    """A file owned by a user whose primary group is the directory's group is the team's."""
    _, intruder, _ = team
    path = store_dir / "events.jsonl"
    os.chown(path, intruder.pw_uid, -1)
    with pytest.raises(StoreError, match=f"^{path}: is owned by {INTRUDER}"):
        TinyDBStore(store_dir, agent="ana")
    os.chown(store_dir, -1, intruder.pw_gid)  # now the store of the intruder's own group
    TinyDBStore(store_dir, agent="ana").close()
    assert [p for p in check_store(store_dir) if p.fatal] == []
    assert stat.S_IMODE(os.stat(store_dir).st_mode) & 0o007 == 0
