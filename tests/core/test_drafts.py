import os

import pytest

from tui.core.drafts import Draft, Drafts
from tui.core.identity import AgentNameError


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
