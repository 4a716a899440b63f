"""`opened_by` once took a thread that lacks the customer's opening message (an empty
Freshdesk description: a portal ticket with only an attachment, a phone note) for one the
agent opened: its ticket_created says source agent, so its first reply time skips the
agent's real first reply (spec §C: the 2nd public reply) -- here it becomes null."""
import json

from tests.core.importers.test_csv_import import desk, events
from tests.core.importers.test_freshdesk_import import CONTACTS, CONVERSATIONS, TICKETS


def test_an_empty_description_is_not_an_agent_opened_ticket(tmp_path):
    found = json.loads(TICKETS.read_text())
    printer = next(t for t in found if t["id"] == 21)
    printer.update(description="", source=2)   # a portal ticket whose description is empty
    mine = tmp_path / "tickets.json"
    mine.write_text(json.dumps(found))
    done = desk("import", "freshdesk", str(mine), str(CONTACTS), str(CONVERSATIONS),
                "--data-dir", str(tmp_path / "s"))
    assert done.returncode == 0, done.stdout + done.stderr
    created = {e["data"]["subject"]: e["data"]["source"] for e in events(tmp_path / "s")
               if e["type"] == "ticket_created"}
    assert created["Printer & scanner"] == "customer"   # Freshdesk says portal, not outbound
