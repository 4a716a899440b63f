import os
import stat

import pytest

from tui.core.drafts import Draft, Drafts
from tui.core.identity import AgentNameError
from tui.core.store import StoreError


def test_round_trip_and_delete(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    draft = Draft("T-12", "public_reply", "Hei {x}", seen={"_rev": 3}, changes={"status": "solved"})
    drafts.save(draft)
    assert drafts.path("T-12") == tmp_path / "drafts" / "kari" / "T-12.json"
    assert drafts.load("T-12") == draft
    assert drafts.tickets() == ["T-12"]
    drafts.delete("T-12")
    assert drafts.load("T-12") is None and drafts.tickets() == []


def test_agent_name_cannot_escape_the_directory(tmp_path):
    with pytest.raises(AgentNameError):  # refused, not rewritten into some other agent's name
        Drafts(tmp_path, "../../etc")


def test_bad_ids_and_damaged_files(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    with pytest.raises(ValueError):
        drafts.path("../x")
    assert drafts.load("../x") is None
    drafts.root.mkdir(parents=True)
    (drafts.root / "T-1.json").write_bytes(b"{not json")
    (drafts.root / "T-2.json").write_bytes(b'{"ticket": 5, "kind": "x"}')
    (drafts.root / "T-3.json").write_bytes(b'{"ticket": "T-3", "kind": "public_reply", "extra": 1}')
    assert drafts.load("T-1") is None and drafts.load("T-2") is None
    assert drafts.load("T-3").kind == "public_reply"


def test_no_temp_files_left(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    drafts.save(Draft("T-1", "internal_note", "x"))
    assert os.listdir(drafts.root) == ["T-1.json"]


def test_background_writes_keep_their_order(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    for n in range(20):
        drafts.save_later(Draft("T-1", "public_reply", f"v{n}"))
    drafts.delete_later("T-1")
    drafts.flush()
    assert drafts.load("T-1") is None
    draft = Draft("T-2", "internal_note", "first")
    drafts.save_later(draft)
    draft.body = "changed after asking"  # the saved copy is taken when asked
    drafts.flush()
    assert drafts.load("T-2").body == "first"


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(params=[0o000, 0o022], ids=["umask000", "umask022"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


@pytest.mark.parametrize("data_mode", [0o700, 0o2770], ids=["personal", "shared"])
def test_an_agents_drafts_are_theirs_alone_whatever_the_umask(tmp_path, umask, data_mode):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, data_mode)
    drafts = Drafts(data, "kari")
    drafts.save(Draft("T-1", "public_reply", "Dear customer, about your refund"))
    assert mode(drafts.root) == 0o700
    assert mode(drafts.path("T-1")) == 0o600
    # drafts/: every agent of the team makes their folder in it, none can swap another's
    shared = 0o3770 if data_mode == 0o2770 else 0o700
    assert mode(data / "drafts") == shared


def test_a_folder_left_too_open_is_closed(tmp_path, umask):
    drafts = Drafts(tmp_path, "kari")
    drafts.root.mkdir(parents=True)
    os.chmod(drafts.root, 0o2777)
    (drafts.root / "T-1.json").write_bytes(b'{"ticket": "T-1", "kind": "public_reply", "body": "x"}')
    assert drafts.load("T-1").body == "x"
    assert mode(drafts.root) == 0o700
    os.chmod(drafts.root, 0o755)
    drafts.save(Draft("T-2", "internal_note", "y"))
    assert mode(drafts.root) == 0o700 and mode(drafts.path("T-2")) == 0o600


@pytest.mark.parametrize("linked", ["drafts/kari", "drafts"])
def test_a_linked_drafts_folder_is_never_followed(tmp_path, linked):
    """Another agent points `drafts/kari` (or `drafts`) at a folder they can read."""
    data, theirs = tmp_path / "data", tmp_path / "mallory"
    (data / "drafts").mkdir(parents=True)
    (theirs / "kari").mkdir(parents=True)
    (theirs / "T-1.json").write_bytes(b'{"ticket": "T-1", "kind": "public_reply", "body": "bait"}')
    (theirs / "kari" / "T-1.json").write_bytes(b'{"ticket": "T-1", "kind": "public_reply", "body": "bait"}')
    if linked == "drafts":
        (data / "drafts").rmdir()
    (data / linked).symlink_to(theirs)
    drafts = Drafts(data, "kari")
    with pytest.raises(StoreError, match=f"^{data / linked}: is a symbolic link; desk never "
                                         "follows links in the store. Drafts are not saved"):
        drafts.save(Draft("T-2", "public_reply", "the customer's card number"))
    assert sorted(p.name for p in theirs.rglob("*")) == ["T-1.json", "T-1.json", "kari"]
    assert drafts.load("T-1") is None and drafts.tickets() == []
    with pytest.raises(StoreError, match="is a symbolic link"):
        drafts.delete("T-1")
    assert (theirs / "T-1.json").exists() and (theirs / "kari" / "T-1.json").exists()


def test_a_linked_draft_file_is_replaced_not_written_through(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    drafts.save(Draft("T-1", "public_reply", "first"))
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"keep me")
    drafts.path("T-1").unlink()
    drafts.path("T-1").symlink_to(target)
    assert drafts.load("T-1") is None
    drafts.save(Draft("T-1", "public_reply", "second"))
    assert target.read_bytes() == b"keep me" and drafts.load("T-1").body == "second"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_folder_another_user_made_for_me_is_refused(tmp_path):
    drafts = Drafts(tmp_path, "kari")
    drafts.root.mkdir(parents=True, mode=0o777)
    os.chown(drafts.root, 4242, 4242)
    with pytest.raises(StoreError, match=f"^{drafts.root}: belongs to uid 4242, not to you"):
        drafts.save(Draft("T-1", "public_reply", "x"))
    assert os.listdir(drafts.root) == []
