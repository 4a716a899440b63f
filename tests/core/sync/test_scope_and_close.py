"""What a replica holds (`--only`, closes), and tickets made offline keeping their old id."""

from __future__ import annotations

from tui.core.sync import InProcess, conflicts, resolve, sync

from .helpers import make_host, make_replica, opened


def test_only_keeps_the_replica_to_its_filter_at_clone_and_at_sync(tmp_path):
    host_dir = make_host(tmp_path, 6)  # customers C-1..C-3 in turn
    laptop = opened(make_replica(tmp_path, host_dir, "laptop", only="customer:anna"))
    assert sorted(d["id"] for d in laptop.ticket_docs()) == ["T-1", "T-4"]
    assert [c.id for c in laptop.customers()] == ["C-1"]
    host = opened(host_dir, "hostagent")
    theirs = host.insert_ticket(customer="C-2", subject="for ben", body="b")
    hers = host.insert_ticket(customer="C-1", subject="for anna", body="a")
    sync(laptop, InProcess(host_dir))
    assert sorted(d["id"] for d in laptop.ticket_docs()) == ["T-1", "T-4", hers.id]
    assert theirs.id not in {d["id"] for d in laptop.ticket_docs()}
    laptop.close()
    host.close()


def test_a_ticket_made_and_closed_offline_lives_on_once_under_its_team_id(tmp_path):
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    made = laptop.insert_ticket(customer="C-1", subject="logged call", body="called", source="agent")
    laptop.update_ticket(made.id, {"status": "closed"}, laptop.get_ticket(made.id).rev)
    laptop.update_ticket("T-1", {"status": "closed"}, laptop.get_ticket("T-1").rev)
    result = sync(laptop, InProcess(host_dir))
    team_id = result.new_ids[made.id]
    host = opened(host_dir, "hostagent")
    assert host.get_ticket(team_id).status == "closed" and host.get_ticket("T-1").status == "closed"
    assert laptop.get_ticket(made.id).id == team_id  # the old id still finds it
    everywhere = [d["id"] for d in laptop.ticket_docs(include_archive=True)]
    assert made.id not in everywhere and everywhere.count(team_id) == 1
    laptop.close()
    host.close()


def test_a_caller_added_offline_reaches_the_team_with_their_ticket(tmp_path):
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    caller = laptop.insert_customer(name="Dana New", phone="+358401234567")
    made = laptop.insert_ticket(customer=caller.id, subject="first call", body="hello",
                                channel="phone", source="agent")
    result = sync(laptop, InProcess(host_dir))
    team_customer, team_ticket = result.new_ids[caller.id], result.new_ids[made.id]
    assert team_customer != caller.id
    host = opened(host_dir, "hostagent")
    assert host.get_customer(team_customer).name == "Dana New"
    assert host.get_ticket(team_ticket).customer == team_customer
    assert laptop.get_ticket(made.id).customer == team_customer
    assert laptop.get_customer(team_customer).phone == "+358401234567"
    assert caller.id not in {c.id for c in laptop.customers()}
    laptop.close()
    host.close()


def test_a_change_the_team_refuses_outright_is_surfaced_and_can_be_dropped(tmp_path):
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    laptop.update_ticket("T-1", {"status": "pending"}, laptop.get_ticket("T-1").rev)
    host = opened(host_dir, "hostagent")
    host.update_ticket("T-1", {"status": "closed"}, host.get_ticket("T-1").rev)  # never reopened
    sync(laptop, InProcess(host_dir))
    found = conflicts(laptop)
    assert [(c.ticket_id, c.field, c.mine, c.theirs) for c in found] == [
        ("T-1", "status", "pending", "closed")]
    resolve(laptop, "T-1", "status", "theirs")
    assert conflicts(laptop) == [] and laptop.get_ticket("T-1").status == "closed"
    assert "T-1" not in {d["id"] for d in laptop.ticket_docs()}  # in the archive, as closed ones are
    laptop.close()
    host.close()


def test_a_customers_past_ticket_changed_on_the_team_store_follows(tmp_path):
    host_dir = make_host(tmp_path)
    host = opened(host_dir, "hostagent")
    host.update_ticket("T-1", {"status": "closed"}, host.get_ticket("T-1").rev)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    assert laptop.get_ticket("T-1").status == "closed"  # cloned as C-1's history
    host.rate("T-1", 5, "great")
    sync(laptop, InProcess(host_dir))
    assert laptop.get_ticket("T-1").satisfaction.score == 5
    laptop.close()
    host.close()
