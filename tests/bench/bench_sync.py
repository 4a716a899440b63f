"""Clone and sync (issue 14) at 10k and 100k tickets, through a real `desk sync-serve` child
process over pipes (the local-path remote of tui/core/sync/client.py), with time and bytes
each way.

    python tests/bench/bench_sync.py                    # 10k and 100k, 3 runs each (~15 min)
    python tests/bench/bench_sync.py --sizes 10k --runs 1   # quicker

Team stores come from `tui.core.demo.generate` (`demo-N-s7`, ~70% active), made once into
the cache (default $TMPDIR/desk-bench-sync) and copied for each size. Figures (medians):
- connection: start `desk sync-serve` and exchange the version handshake, on an empty store
  (the transport: Python start-up and one round trip) and on the team store (the far side
  opening the store too); then hang up;
- clone: the replica made from the team store (`clone()`, the whole call);
- first sync: the first one after the clone (the team's event log searched from its start);
- no-change sync, incremental push of N offline changes made on the replica, incremental pull
  of N changes made on the team store: `sync()` on the open replica, connection included;
- `desk sync` command with no change: the whole CLI process (start-up, opening the replica).
Bytes are counted at the client's end of the pipes: frames sent and bytes received.
Writes tests/bench/SYNC-RESULTS.md and SYNC-RESULTS.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tui.core.demo import generate  # noqa: E402
from tui.core.permissions import init_store  # noqa: E402
from tui.core.store import TinyDBStore  # noqa: E402
from tui.core.sync import clone, sync  # noqa: E402
from tui.core.sync.client import ProcessConnection, parse_remote  # noqa: E402
from tui.core.sync.exchange import handshake  # noqa: E402
from tui.core.sync.serve import MARGIN  # noqa: E402

SIZES = {"1k": 1000, "10k": 10_000, "100k": 100_000}
TARGET_INCREMENTAL_S = 5.0  # 1,000 changes at 100k
TARGET_NO_CHANGE_S = 0.5  # beyond the connection


class _Counted:
    """The far side's stdout, counting what the client reads from it."""

    def __init__(self, raw: Any):
        self.raw, self.count = raw, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.count += len(chunk)
        return chunk


class CountingConnection(ProcessConnection):
    """The client's real connection (a `desk sync-serve` child), counting bytes received."""

    def __init__(self, path: Path):
        super().__init__(parse_remote(str(path)))
        self.proc.stdout = _Counted(self.proc.stdout)

    @property
    def bytes_received(self) -> int:
        return self.proc.stdout.count


_last_sync = [0.0]


def measured(work: Callable[[CountingConnection], Any], path: Path) -> dict[str, Any]:
    """Seconds from starting the far side to its exit, and the bytes each way. A sync starts
    at least MARGIN after the previous one ended, as syncs minutes apart do: a pull also takes
    again the tickets changed in the MARGIN before the last sync (writes in flight then)."""
    time.sleep(max(0.0, _last_sync[0] + MARGIN.total_seconds() - time.monotonic()))
    started = time.perf_counter()
    conn = CountingConnection(path)
    try:
        answer = work(conn)
    finally:
        conn.close()
        _last_sync[0] = time.monotonic()
    return {"s": time.perf_counter() - started, "sent": conn.bytes_sent,
            "received": conn.bytes_received, "answer": answer}


def team_store(cache: Path, tickets: int) -> Path:
    made = cache / f"demo-{tickets}-s7"
    if not (made / "store.json").exists():
        shutil.rmtree(made, ignore_errors=True)
        print(f"  generating {made} (once)", flush=True)
        generate(made, tickets=tickets, seed=7)
    return made


def offline_changes(store: TinyDBStore, rng: random.Random, count: int, tag: str) -> None:
    """`count` changes as an agent makes them, on random active tickets: replies, notes, tags
    and priorities, each through the store (one durable write each)."""
    ids = [d["id"] for d in store.ticket_docs() if d.get("status") != "closed"]
    for n in range(count):
        ticket = rng.choice(ids)
        kind = n % 4
        if kind == 0:
            store.append_message(ticket, kind="public_reply", body=f"{tag} reply {n}: tried that?")
        elif kind == 1:
            store.append_message(ticket, kind="internal_note", body=f"{tag} note {n}")
        elif kind == 2:
            store.change_tags(ticket, add=[f"{tag}-{n % 7}"])
        else:
            current = store.get_ticket(ticket)
            to = rng.choice([p for p in ("low", "normal", "high", "urgent") if p != current.priority])
            store.update_ticket(ticket, {"priority": to}, current.rev)


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"s": statistics.median(r["s"] for r in runs),
            "sent": int(statistics.median(r["sent"] for r in runs)),
            "received": int(statistics.median(r["received"] for r in runs)),
            "runs": [round(r["s"], 3) for r in runs]}


def run_size(label: str, tickets: int, work: Path, cache: Path, runs: int, changes: int) -> dict:
    print(f"{label}: team store", flush=True)
    host = work / "host"
    shutil.copytree(team_store(cache, tickets), host)
    empty = work / "empty"
    init_store(empty)
    rng = random.Random(7)
    out: dict[str, Any] = {"tickets": tickets}

    def say(name: str, runs_: list[dict[str, Any]]) -> None:
        out[name] = median(runs_)
        m = out[name]
        print(f"  {name}: {m['s']:.3f} s (runs {m['runs']}), sent {m['sent']:,} B, "
              f"received {m['received']:,} B", flush=True)

    hello = lambda conn: handshake(conn, conn.remote.text)  # noqa: E731
    say("connect_empty", [measured(hello, empty) for _ in range(runs + 2)])
    say("connect_team", [measured(hello, host) for _ in range(runs)])

    clones = []
    for n in range(runs):
        target = work / f"replica-{n}"
        clones.append(measured(lambda conn, t=target: clone(str(host), t, connection=conn), host))
        if n:
            shutil.rmtree(target)
    say("clone", clones)
    replica_dir = work / "replica-0"
    out["replica_tickets"] = clones[0]["answer"]
    out["store_mb"] = round(sum(f.stat().st_size for f in host.iterdir() if f.is_file()) / 1e6, 1)
    out["replica_mb"] = round(sum(f.stat().st_size for f in replica_dir.iterdir()
                                  if f.is_file()) / 1e6, 1)

    replica = TinyDBStore(replica_dir, agent="bench-laptop")
    try:
        syncing = lambda conn: sync(replica, conn)  # noqa: E731
        say("first_sync", [measured(syncing, host)])
        say("no_change", [measured(syncing, host) for _ in range(runs)])

        def pushed(count: int) -> dict[str, Any]:
            offline_changes(replica, rng, count, "laptop")
            result = measured(syncing, host)
            answer = result["answer"]
            # a change folded into a pending operation (the same field set twice) is one
            if not 0 < answer.pushed <= count or answer.conflicts:
                raise SystemExit(f"push of {count} changes: {answer}")
            result["ops"] = answer.pushed
            return result

        def pulled(count: int) -> dict[str, Any]:
            team = TinyDBStore(host, agent="bench-host")
            try:
                offline_changes(team, rng, count, "team")
            finally:
                team.close()
            return measured(syncing, host)

        print(f"  making {changes} changes a run (not timed)", flush=True)
        say("push", [pushed(changes) for _ in range(runs)])
        say("push_tenth", [pushed(changes // 10)])
        say("pull", [pulled(changes) for _ in range(runs)])
    finally:
        replica.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tui", "sync", "--data-dir", str(replica_dir)],
                              env=env, capture_output=True, text=True)
        cli.append({"s": time.perf_counter() - started, "sent": 0, "received": 0})
        if done.returncode:
            raise SystemExit(f"desk sync failed: {done.stderr.strip()}")
    say("cli_no_change", cli)
    for value in out.values():
        if isinstance(value, dict):
            value.pop("answer", None)
    return out


def verdicts(results: dict[str, dict], changes: int) -> list[str]:
    lines = []
    big = results.get("100k")
    if big:
        push, pull = big["push"]["s"], big["pull"]["s"]
        ok = push <= TARGET_INCREMENTAL_S and pull <= TARGET_INCREMENTAL_S
        lines.append(f"- incremental sync of {changes:,} changes at 100k ≤ {TARGET_INCREMENTAL_S:g} s: "
                     f"push {push:.2f} s, pull {pull:.2f} s: **{'met' if ok else 'missed'}**")
        beyond = big["no_change"]["s"] - big["connect_empty"]["s"]
        beyond_team = big["no_change"]["s"] - big["connect_team"]["s"]
        lines.append(f"- no-change sync ≤ {TARGET_NO_CHANGE_S:g} s beyond the connection at 100k: "
                     f"{beyond:.2f} s beyond the bare connection (Python start-up + handshake on "
                     f"an empty store), {beyond_team:.2f} s beyond the handshake on the team store: "
                     f"**{'met' if beyond <= TARGET_NO_CHANGE_S else 'missed'}**")
    for label, r in results.items():
        per_push = (r["push"]["sent"] + r["push"]["received"]) / changes
        per_pull = (r["pull"]["sent"] + r["pull"]["received"]) / changes
        lines.append(f"- {label}: {per_push:,.0f} B a pushed change, {per_pull:,.0f} B a pulled "
                     f"change; clone {r['clone']['received'] / 1e6:,.1f} MB")
    if "10k" in results and "100k" in results:
        small, big = results["10k"], results["100k"]
        ratio = lambda k: ((big[k]["sent"] + big[k]["received"])  # noqa: E731
                           / max(1, small[k]["sent"] + small[k]["received"]))
        lines.append(f"- 100k / 10k bytes (10× the store): clone {ratio('clone'):.1f}×, push "
                     f"{ratio('push'):.2f}×, pull {ratio('pull'):.2f}×, no-change "
                     f"{ratio('no_change'):.2f}×")
    for label, r in results.items():
        tenth, full = r["push_tenth"], r["push"]
        lines.append(f"- {label}: push of {changes // 10:,} vs {changes:,} changes: "
                     f"{(tenth['sent'] + tenth['received']) / 1e3:,.0f} kB vs "
                     f"{(full['sent'] + full['received']) / 1e3:,.0f} kB")
    return lines


ROWS = [("connect_empty", "connection: sync-serve start + handshake, empty store"),
        ("connect_team", "connection + far side opens the team store (handshake)"),
        ("clone", "clone"), ("first_sync", "first sync after the clone (1 run)"),
        ("no_change", "no-change sync"), ("push", "incremental: push {n} offline changes"),
        ("push_tenth", "incremental: push {tenth} offline changes (1 run)"),
        ("pull", "incremental: pull {n} team changes"),
        ("cli_no_change", "`desk sync` command, no change (whole process)")]


def report(results: dict[str, dict], changes: int, runs: int) -> str:
    labels = list(results)
    head = " | ".join(f"{lab} s | {lab} sent | {lab} received" for lab in labels)
    lines = ["# Sync benchmark (issue 14)", "",
             f"`python tests/bench/bench_sync.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end: "
             "the cores are shared with other work). Medians of "
             f"{runs} runs unless marked; each incremental run makes its own {changes:,} changes "
             "(a quarter each replies, notes, tag adds and priority changes on random active "
             "tickets). Through a real `desk sync-serve` child over pipes; bytes counted at the "
             "client (frames sent, bytes read).", "",
             "| | " + head + " |", "|---|" + "---:|" * (3 * len(labels))]
    for key, name in ROWS:
        cells = []
        for lab in labels:
            m = results[lab][key]
            cells += [f"{m['s']:.3f}", f"{m['sent']:,}" if m["sent"] else "",
                      f"{m['received']:,}" if m["received"] else ""]
        lines.append(f"| {name.format(n=f'{changes:,}', tenth=f'{changes // 10:,}')} | "
                     + " | ".join(cells) + " |")
    lines += ["", "Stores: " + "; ".join(
        f"{lab}: {r['tickets']:,} tickets, {r['store_mb']} MB on disk (event log included), "
        f"replica of {r['replica_tickets']:,} active tickets, {r['replica_mb']} MB"
        for lab, r in results.items()), "", "## Against the targets", ""]
    lines += verdicts(results, changes)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated: 1k, 10k, 100k")
    ap.add_argument("--runs", type=int, default=3, help="runs a figure (median)")
    ap.add_argument("--changes", type=int, default=1000, help="changes an incremental sync")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "desk-bench-sync",
                    help="where generated team stores are kept between runs")
    ap.add_argument("--out", type=Path, default=HERE / "SYNC-RESULTS.md")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for label in args.sizes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"sync-{label}-") as tmp:
            results[label] = run_size(label, SIZES[label], Path(tmp), args.cache, args.runs,
                                      args.changes)
    args.out.write_text(report(results, args.changes, args.runs))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
