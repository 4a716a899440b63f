"""Benchmark (issue 17's "Must show"): desk on a PostgreSQL store, beside the TinyDB figures.

    python tests/bench/bench_postgres.py                       # all three parts
    python tests/bench/bench_postgres.py --parts concurrency   # concurrency, updates, app
    python tests/bench/bench_postgres.py --help

1. concurrency: 32 agent processes x 300 mixed actions on 8 hot tickets of one store
   (_pg_workers.mixed): counts lost writes, silent overwrites and conflicts.
2. updates: durable update_ticket p50/p95 with 1, 8 and 32 writer processes on the big store.
3. app: `python -m tui --store URL` on a pty (_pty.py): start to a painted queue, Down and a
   filter keystroke, as bench_ui.py measures them on a data directory.

The big stores, one a size (--sizes 100k,1M), are built directly by _pg_big.py, each in a
schema of its own (desk_pgbench_100k, desk_pgbench_1m) kept for later runs (--drop-big drops
them); updates and app run on each. The concurrency test makes and drops a schema of its own.
The server is $DESK_TEST_POSTGRES: a private cluster (bash tests/bench/pg_cluster.sh start;
. /tmp/desk-pgbench-pg/env), not the shared test cluster. Writes PG-RESULTS.json and, from it,
PG-RESULTS.md (_pg_report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_store as bs  # noqa: E402
import bench_ui as bu  # noqa: E402
from _pty import BACKSPACE, DOWN, ESCAPE, PtyApp  # noqa: E402
from tests.core.postgres_server import in_schema  # noqa: E402

WORKERS = str(HERE / "_pg_workers.py")
HOT = 8  # the tickets every agent of the concurrency test works on


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def admin(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def spawn(role: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, WORKERS, role, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_together(role: str, n: int, args_of, tmp: Path) -> list[dict]:
    """`n` children of `role`, started together once all have connected."""
    go = tmp / f"go-{role}-{n}-{time.monotonic_ns()}"
    procs = [spawn(role, *args_of(w + 1, str(go))) for w in range(n)]
    bs.ready_wait(procs, [Path(f"{go}.ready{w + 1}") for w in range(n)])
    go.touch()
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a {role} child failed (exit {proc.returncode}): {stderr[-2000:]}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


# -- 1. concurrency ------------------------------------------------------------------
def concurrency(base_url: str, procs: int, actions: int, tmp: Path) -> dict:
    from tui.core.store import PostgresStore

    schema = f"desk_pgbench_{secrets.token_hex(4)}"
    with admin(base_url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = in_schema(base_url, schema)
    try:
        store = PostgresStore(url, agent="setup")
        store.load_records("customers", [{"id": "C-1", "name": "Ana Lima",
                                          "customer_since": "2020-01-01T00:00:00.000Z"}])
        hot = [store.insert_ticket(customer="C-1", subject=f"hot {n}", body="x",
                                   issue_key="0").id for n in range(HOT)]
        start_rev = {t: store.get_ticket(t).rev for t in hot}
        load0, t0 = os.getloadavg(), time.perf_counter()
        results = run_together("mixed", procs, lambda me, go: (url, go, str(me), str(actions),
                                                                ",".join(hot)), tmp)
        wall = time.perf_counter() - t0
        found = check_concurrency(store, url, hot, start_rev, results)
        store.close()
    finally:
        with admin(base_url) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    found.update(procs=procs, actions=actions, hot=HOT, wall_s=wall, load=[load0[0], os.getloadavg()[0]])
    return found


def check_concurrency(store, url: str, hot: list[str], start_rev: dict, results: list[dict]) -> dict:
    """What the store holds against what the agents were told."""
    revs: dict[str, list[int]] = {t: [] for t in hot}
    stale_successes = 0  # a checked change that succeeded on a revision someone had moved on
    for r in results:
        for tid, read_rev, made_rev, _kind in r["writes"]:
            revs[tid].append(made_rev)
            stale_successes += read_rev is not None and made_rev != read_rev + 1
    lost = silent = 0
    for tid in hot:
        t = store.get_ticket(tid)
        made = Counter(revs[tid])
        silent += sum(c - 1 for c in made.values() if c > 1)  # two writes told the same revision
        expected = set(range(start_rev[tid] + 1, t.rev + 1))
        lost += len(expected - set(made)) + len(set(made) - expected)
        # Every action makes one write, so a reply's write number is its body's action number.
        said = [f"agent{r['me']} {i}" for r in results for i, w in enumerate(r["writes"])
                if w[0] == tid and w[3] == "reply"]
        bodies = [m.body for m in t.messages[1:]]
        lost += len(set(said) - set(bodies)) + abs(len(bodies) - len(said))
        increments = sum(r["increments"][tid] for r in results)
        lost += abs(int(t.issue_key) - increments)
        tags = {r["last_tag"][tid] for r in results if tid in r["last_tag"]}
        lost += len(tags ^ {x for x in t.tags if x.startswith("a")})
    with store._lent(False) as conn:  # the events table, beside the store's own reads
        logged = conn.execute("SELECT count(*) FROM events WHERE type = 'field_change' AND "
                              "event->'data'->>'field' = 'issue_key'").fetchone()[0]
    increments = sum(sum(r["increments"].values()) for r in results)
    done = Counter()
    for r in results:
        done.update(r["done"])
    return {"writes": sum(len(r["writes"]) for r in results), "done": dict(done),
            "lost": lost, "silent_overwrites": silent + stale_successes,
            "conflicts_reported": sum(r["conflicts"] for r in results),
            "conflicts_without_newer_rev": sum(r["bad_conflicts"] for r in results),
            "checked_changes": increments, "checked_change_events": logged,
            "refused_changes_logged": logged - increments}


# -- 2. durable updates ----------------------------------------------------------------
def updates(url: str, counts: list[int], per_writer: dict[int, int], repeat: int,
            tmp: Path, rate: float = 0.0) -> dict:
    """p50/p95 of update_ticket for each writer count: closed loop (each writer's next
    update as soon as its last returns: the store's saturation), or paced at `rate` updates
    a second per writer (what agents clicking do)."""
    with admin(url) as conn:
        ids = [f"T-{n}" for (n,) in conn.execute(
            "SELECT num FROM tickets WHERE status <> 'closed'").fetchall()]
    ids_file = tmp / "open-ids.txt"
    ids_file.write_text("\n".join(ids))
    out = {}
    for n in counts:
        runs = []
        for _ in range(repeat):
            load0 = os.getloadavg()[0]
            res = run_together("writer", n, lambda me, go: (url, go, str(me), str(per_writer[n]),
                                                              str(ids_file), str(rate)), tmp)
            lat = [x for r in res for x in r["lat"]]
            wall = max(r["wall"] for r in res)
            runs.append({"p50": bs.pct(lat, 50), "p95": bs.pct(lat, 95), "max": max(lat),
                         "n": len(lat), "throughput": len(lat) / wall,
                         "conflicts": sum(r["conflicts"] for r in res),
                         "late": sum(r["late"] for r in res),
                         "load": [load0, os.getloadavg()[0]]})
            log(f"{n} writer(s): p50 {bs.fmt_ms(runs[-1]['p50'])} p95 {bs.fmt_ms(runs[-1]['p95'])} "
                f"({runs[-1]['n']} updates, {runs[-1]['throughput']:.0f}/s, load {load0:.1f})")
        out[str(n)] = {"runs": runs, "p50": statistics.median(r["p50"] for r in runs),
                       "p95": statistics.median(r["p95"] for r in runs)}
    return out


# -- 3. the app on a pty ---------------------------------------------------------------
def app_session(url: str, cfg: Path, presses: int, filter_rounds: int = 2) -> dict:
    app = PtyApp(None, cfg, store_url=url)
    try:
        out = bu.pty_start(app, timeout=180)
        downs = [bu.key_to_settled(app, DOWN) for _ in range(presses)]
        out["down_first"] = [d["first"] for d in downs if d["first"] is not None]
        out["down_settled"] = [d["settled"] for d in downs if d["settled"] is not None]
        bu.key_to_settled(app, b"/")
        keys = []
        for _ in range(filter_rounds):  # "printer" typed and taken back to "pr", then cleared
            keys += [bu.key_to_settled(app, k, until=bu.filter_matched, timeout=60)
                     for k in bu.FILTER_KEYS]
            for _ in "pr":
                bu.key_to_settled(app, BACKSPACE)
        out["filter_first"] = [k["first"] for k in keys if k["first"] is not None]
        out["filter_answered"] = [k["answered"] for k in keys if k["answered"] is not None]
        out["filter_settled"] = [k["settled"] for k in keys if k["settled"] is not None]
        bu.key_to_settled(app, ESCAPE)
        out["rss"] = app.rss_mb()
    finally:
        out_code = app.quit()
    out["exit"] = out_code
    return out


def app_start(url: str, cfg: Path) -> dict:
    app = PtyApp(None, cfg, store_url=url)
    try:
        out = bu.pty_start(app, timeout=180)
        out["rss"] = app.rss_mb()
    finally:
        app.quit()
    return out


def app(url: str, starts: int, presses: int, tmp: Path) -> dict:
    cfg = tmp / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "config.toml").write_text(f"[metrics]\nidle_cutoff_s = {bu.IDLE_CUTOFF_S}\n")
    load0 = os.getloadavg()[0]
    app_start(url, cfg)  # warm-up: the bytecode cache, the server's buffers; not measured
    session = app_session(url, cfg, presses)
    log(f"app: start {bs.fmt_ms(session['painted'])}, Down p50 "
        f"{bs.fmt_ms(bs.pct(session['down_settled'], 50))}, filter p95 "
        f"{bs.fmt_ms(bs.pct(session['filter_settled'], 95))}")
    more = [app_start(url, cfg) for _ in range(starts - 1)]
    painted = [session["painted"]] + [s["painted"] for s in more]
    log(f"app: starts {[round(x, 2) for x in painted]}")
    out = {"session": session, "start": painted, "settled": [session["settled"]] +
           [s["settled"] for s in more], "load": [load0, os.getloadavg()[0]]}
    return out


# -- the big stores -----------------------------------------------------------------------
def parse_sizes(text: str) -> dict[str, int]:
    """`100k,1M` -> {"100k": 100000, "1M": 1000000}."""
    scale = {"k": 1_000, "m": 1_000_000}
    sizes = {}
    for label in filter(None, (x.strip() for x in text.split(","))):
        unit = scale.get(label[-1].lower(), 1)
        sizes[label] = int(float(label[:-1] if unit > 1 else label) * unit)
    return sizes


def big_schema(label: str) -> str:
    return f"desk_pgbench_{label.lower()}"


def big_store(base_url: str, label: str, n: int) -> tuple[str, dict]:
    """The store of `n` tickets (_pg_big.py), built if its schema does not hold them."""
    from _pg_big import build  # noqa: PLC0415

    schema = big_schema(label)
    url = in_schema(base_url, schema)
    with admin(base_url) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    info: dict = {"schema": schema, **build(url, n, say=log)}
    with admin(url) as conn:
        info["tickets"], info["open"] = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'closed') FROM tickets").fetchone()
        info["events"] = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return url, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="concurrency,updates,app")
    ap.add_argument("--procs", type=int, default=32, help="agents in the concurrency test")
    ap.add_argument("--actions", type=int, default=300, help="actions per agent")
    ap.add_argument("--writers", default="1,8,32", help="writer process counts")
    ap.add_argument("--updates", type=int, default=3200,
                    help="updates per measurement, shared among its writers (at least 50 each)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per writer count (median)")
    ap.add_argument("--paced", default="32x2",
                    help="WRITERSxRATE: the updates part again with writers paced at RATE/s each "
                         "('' to skip)")
    ap.add_argument("--paced-updates", type=int, default=60, help="updates per paced writer")
    ap.add_argument("--starts", type=int, default=3, help="app starts (median)")
    ap.add_argument("--presses", type=int, default=30, help="Down presses")
    ap.add_argument("--sizes", default="100k,1M",
                    help="ticket counts of the big stores (one schema each, kept; built if missing)")
    ap.add_argument("--drop-big", action="store_true", help="drop the big stores' schemas at the end")
    ap.add_argument("--out", type=Path, default=HERE / "PG-RESULTS.md")
    ap.add_argument("--report-only", action="store_true", help="PG-RESULTS.md again from the .json")
    args = ap.parse_args()
    raw = args.out.with_suffix(".json")
    from _pg_report import write_report  # noqa: PLC0415

    if args.report_only:
        print(write_report(args.out, json.loads(raw.read_text())))
        return
    base = os.environ.get("DESK_TEST_POSTGRES")
    if not base:
        raise SystemExit("DESK_TEST_POSTGRES is not set: bash tests/bench/pg_cluster.sh start; "
                         ". /tmp/desk-pgbench-pg/env")
    parts = set(args.parts.split(","))
    saved = json.loads(raw.read_text()) if raw.exists() else {}
    saved.setdefault("meta", {}).update(
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), nproc=os.cpu_count(),
        cpu=bu.cpu_model())
    with admin(base) as conn:
        saved["meta"]["server"] = conn.execute("SHOW server_version").fetchone()[0]
        saved["meta"]["synchronous_commit"] = conn.execute("SHOW synchronous_commit").fetchone()[0]
        saved["meta"]["fsync"] = conn.execute("SHOW fsync").fetchone()[0]
        saved["meta"]["socket"] = conn.info.host
    with tempfile.TemporaryDirectory(prefix="desk-bench-pg-") as tmpdir:
        tmp = Path(tmpdir)
        if "concurrency" in parts:
            saved["concurrency"] = concurrency(base, args.procs, args.actions, tmp)
            log(f"concurrency: {json.dumps(saved['concurrency'])}")
            raw.write_text(json.dumps(saved, indent=1))
        if parts & {"updates", "app"}:
            saved.pop("big", None), saved.pop("updates", None), saved.pop("app", None)  # before sizes
            for label, n in parse_sizes(args.sizes).items():
                at = saved.setdefault("sizes", {}).setdefault(label, {})
                before = at.get("big", {})
                url, at["big"] = big_store(base, label, n)
                if not at["big"]["built"]:  # kept from the run that built it
                    at["big"].update({k: v for k, v in before.items() if k.endswith("_s")})
                log(f"big store {label}: {at['big']}")
                raw.write_text(json.dumps(saved, indent=1))
                if "updates" in parts:
                    counts = [int(n) for n in args.writers.split(",")]
                    per = {n: max(50, args.updates // n) for n in counts}
                    at["updates"] = updates(url, counts, per, args.repeat, tmp)
                    raw.write_text(json.dumps(saved, indent=1))
                    if args.paced:
                        writers, rate = args.paced.lower().split("x")
                        at["paced"] = {"rate": float(rate), **updates(
                            url, [int(writers)], {int(writers): args.paced_updates},
                            args.repeat, tmp, rate=float(rate))}
                        raw.write_text(json.dumps(saved, indent=1))
                if "app" in parts:
                    at["app"] = app(url, args.starts, args.presses, tmp)
                    raw.write_text(json.dumps(saved, indent=1))
                if args.drop_big:
                    with admin(base) as conn:
                        conn.execute(f"DROP SCHEMA {big_schema(label)} CASCADE")
    print(write_report(args.out, saved))


if __name__ == "__main__":
    main()
