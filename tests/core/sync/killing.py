"""One kill trial, for the suite and the benchmark: a replica with offline work runs
`desk sync` in a real process (against a local-path remote, so `desk sync-serve` is a real
child process too); at a random instant the client, or the far side, or both get SIGKILL. Then
both stores must open, and a second sync must converge: every message once on the team's
store, every event once in its log, nothing left to push."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tui.core.eventlog import ReadStats, read_events
from tui.core.sync import InProcess, conflicts, status, sync

from .helpers import make_host, make_replica, opened

TICKETS = 8


def offline_work(replica_dir: Path, rng: random.Random, changes: int = 30,
                 tickets: int = TICKETS) -> set[str]:
    store = opened(replica_dir, "ann")
    bodies = set()
    try:
        for n in range(changes):
            ticket = f"T-{rng.randint(1, tickets)}"
            kind = rng.choice(["reply", "tag", "priority", "reply"])
            if kind == "reply":
                body = f"reply {n} on {ticket}"
                store.append_message(ticket, kind="public_reply", body=body)
                bodies.add(body)
            elif kind == "tag":
                store.change_tags(ticket, add=[f"t{n % 4}"])
            else:
                store.update_ticket(ticket, {"priority": rng.choice(["low", "high", "urgent"])},
                                    store.get_ticket(ticket).rev)
        store.insert_ticket(customer="C-1", subject="made offline", body="offline body",
                            source="agent")
        bodies.add("offline body")
    finally:
        store.close()
    return bodies


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _desk(replica_dir: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    return subprocess.Popen([sys.executable, "-m", "tui", *args, "--data-dir", str(replica_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)


def calibrate(root: Path, changes: int, tickets: int) -> tuple[float, float]:
    """When the exchange runs, on this machine now: from the time `desk sync --status` takes
    (start-up and opening the store) to the time a whole sync of this size takes. Kills are
    aimed in there, so that most land inside the exchange, not in Python's start-up."""
    root.mkdir(parents=True)
    host_dir = make_host(root, tickets)
    replica_dir = make_replica(root, host_dir, "laptop")
    offline_work(replica_dir, random.Random(0), changes, tickets)
    timings = []
    for args in (("sync", "--status"), ("sync",)):
        started = time.monotonic()
        _desk(replica_dir, *args).wait()
        timings.append(time.monotonic() - started)
    return timings[0], max(timings[1], timings[0]) * 1.05


def kill_sync_at_random(replica_dir: Path, rng: random.Random,
                        window: tuple[float, float] = (0.3, 1.0)) -> str:
    """Start `desk sync` and SIGKILL the client, the server or both at a random instant."""
    proc = _desk(replica_dir, "sync")
    victim = rng.choice(["client", "server", "both"])
    time.sleep(rng.uniform(*window))
    if victim == "server":
        for child in _children(proc.pid):
            os.kill(child, signal.SIGKILL)
    elif victim == "client":
        proc.send_signal(signal.SIGKILL)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # a server left behind by its killed client
    except ProcessLookupError:
        pass
    return victim


def converged(host_dir: Path, replica_dir: Path, bodies: set[str]) -> list[str]:
    """What is wrong after a re-run of the sync (empty: converged)."""
    problems = []
    replica, host = opened(replica_dir, "ann"), opened(host_dir, "hostagent")
    try:
        sync(replica, InProcess(host_dir))
        found = [m.body for d in host.ticket_docs() for m in host.get_ticket(d["id"]).messages]
        missing = bodies - set(found)
        doubled = {b for b in found if found.count(b) > 1}
        if missing:
            problems.append(f"lost messages: {sorted(missing)}")
        if doubled:
            problems.append(f"doubled messages: {sorted(doubled)}")
        made = [d for d in host.ticket_docs() if d["subject"] == "made offline"]
        if len(made) != 1:
            problems.append(f"{len(made)} copies of the ticket made offline")
        ids = [e["id"] for e in read_events([host_dir / "events.jsonl"], ReadStats())]
        if len(ids) != len(set(ids)):
            problems.append("doubled events")
        left = status(replica)
        if left.pending or conflicts(replica):
            problems.append(f"left to push: {left.pending}")
        mine = {d["id"]: (d.get("priority"), d.get("tags"), len(d.get("messages", [])))
                for d in replica.ticket_docs()}
        theirs = {d["id"]: (d.get("priority"), d.get("tags"), len(d.get("messages", [])))
                  for d in host.ticket_docs()}
        if mine != theirs:
            problems.append("replica and host differ")
    finally:
        replica.close()
        host.close()
    return problems


def phase(host_dir: Path, replica_dir: Path) -> str:
    """Where the kill landed: before the host took anything, partway, after the host took it
    all but before the replica heard, or after the sync was done."""
    from tui.core.sync.ops import APPLIED

    replica, host = opened(replica_dir, "ann"), opened(host_dir, "hostagent")
    try:
        pending = status(replica).pending
        taken = len(host.sync_table(APPLIED))
    finally:
        replica.close()
        host.close()
    if pending == 0:
        return "done"
    return "before" if taken == 0 else "partway" if taken < pending else "unheard"


def trial(root: Path, seed: int, changes: int = 30, tickets: int = TICKETS,
          window: tuple[float, float] = (0.3, 1.0)) -> tuple[str, str, list[str]]:
    """(who was killed, where the kill landed, what is wrong after a re-run)."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    host_dir = make_host(root, tickets)
    replica_dir = make_replica(root, host_dir, "laptop")
    bodies = offline_work(replica_dir, rng, changes, tickets)
    victim = kill_sync_at_random(replica_dir, rng, window)
    where = phase(host_dir, replica_dir)
    return victim, where, converged(host_dir, replica_dir, bodies)
