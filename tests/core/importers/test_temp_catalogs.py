"""A full temp disk under the Zendesk or Freshdesk catalog: one line (as the staging's full disk is), not a
traceback; the catalog's folder is not left behind."""
import json
import sqlite3
import tempfile
from pathlib import Path

from tui.cli import main
from tui.core.importers import zendesk_people as zp


def test_full_tmp_under_the_zendesk_catalog_is_one_line(tmp_path, monkeypatch, capsys):
    page = {"users": [{"id": i, "name": f"U{i}", "email": f"u{i}@example.com", "role": "end-user"}
                      for i in range(6000)],
            "tickets": [{"id": 1, "subject": "s", "requester_id": 1, "status": "open",
                         "created_at": "2020-01-01T00:00:00Z"}]}
    f = tmp_path / "z.json"
    f.write_text(json.dumps(page))

    def full(db, rows):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(zp, "_flush", full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    code = main(["import", "zendesk", str(f), "--data-dir", str(tmp_path / "store")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "disk is full" in err, err
    assert list((tmp_path / "tmp").iterdir()) == []  # the catalog's folder is not left behind


def test_full_tmp_under_the_freshdesk_catalog_is_one_line(tmp_path, monkeypatch, capsys):
    from tui.core.importers import freshdesk_catalog

    def full(db, rows):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(freshdesk_catalog, "_flush", full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    fixtures = Path(__file__).parent / "fixtures"
    code = main(["import", "freshdesk", str(fixtures / "freshdesk-tickets.json"),
                 "--data-dir", str(tmp_path / "store")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "disk is full" in err, err
    assert list((tmp_path / "tmp").iterdir()) == []
