"""Benchmark: desk's journaled store against plain TinyDB `JSONStorage`.

One run measures, for each store size (default 1k, 10k, 100k tickets):

- update latency p50/p95 with 1 writer process and with 4 writer processes
  (durable: desk fdatasyncs its journal, TinyDB's JSONStorage fsyncs its file);
- open time: open + first query (tickets with status "open"), fresh process;
- peak RSS of that fresh process (VmHWM; see maxrss_mb);

and prints them as a Markdown table with the ratio desk ÷ TinyDB (< 1: desk is
better), then checks issue 2's targets. Every figure comes from fresh processes;
open time is the median of --open-runs runs.

Plain TinyDB rewrites its whole file on every write (seconds at 100k), so its
update runs stop after --tinydb-budget seconds per measurement (at least
--tinydb-min updates per writer) and never exceed --tinydb-cap updates; its
p95 then comes from few samples, which the table says.

    python tests/bench/bench_store.py                     # 1k, 10k, 100k
    python tests/bench/bench_store.py --sizes 1000,10000  # quicker
    python tests/bench/bench_store.py --generator bulk    # ~4 x 500-byte messages
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

QUERY_STATUS = "open"


# -- store generation -------------------------------------------------------------
def generate_bulk(out: Path, tickets: int, seed: int) -> None:
    """The store's bulk format written directly: TinyDB JSON, ~4 messages of ~500 bytes per
    ticket, 25% of tickets active (the rest closed, in archive.json)."""
    import orjson

    rng = random.Random(seed)
    words = ("router printer invoice firmware reboot screen kettle delivery refund warranty "
             "password account battery cable update license order replacement noise").split()

    def text(n: int) -> str:
        out, size = [], 0
        while size < n:
            w = rng.choice(words)
            out.append(w)
            size += len(w) + 1
        return " ".join(out)

    customers = {str(i): {"id": f"C-{i}", "name": f"Customer {i}", "language": "en",
                          "region": "Nordics", "customer_since": "2020-01-01T00:00:00.000Z"}
                 for i in range(1, max(10, tickets // 3) + 1)}
    products = {str(i): {"id": f"P-{i}", "name": f"Product {i}", "category": "networking"}
                for i in range(1, 16)}
    active, archived = {}, {}
    statuses = ["new", "open", "pending", "solved"]
    for n in range(1, tickets + 1):
        closed = rng.random() < 0.75
        ts = f"2026-0{1 + n % 9}-{1 + n % 28:02d}T{n % 24:02d}:00:00.000Z"
        doc = {"id": f"T-{n}", "customer": f"C-{rng.randint(1, len(customers))}",
               "product": f"P-{rng.randint(1, 15)}", "subject": text(40),
               "status": "closed" if closed else rng.choice(statuses),
               "priority": rng.choice(["low", "normal", "high", "urgent"]),
               "channel": rng.choice(["email", "phone", "chat", "web"]), "tags": [rng.choice(words)],
               "created": ts, "updated": ts, "_rev": 1,
               "messages": [{"id": f"M-{n}-{k}", "author_kind": "customer" if k % 2 == 0 else "agent",
                             "author": "x", "kind": "customer_message" if k % 2 == 0 else "public_reply",
                             "body": text(500), "created": ts} for k in range(4)]}
        (archived if closed else active)[str(n)] = doc
    out.mkdir(parents=True, exist_ok=True)
    (out / "store.json").write_bytes(orjson.dumps({
        "_meta": {"1": {"schema": 1, "next": {"tickets": tickets + 1}}},
        "customers": customers, "products": products, "tickets": active}))
    (out / "archive.json").write_bytes(orjson.dumps({"tickets": archived}))


def generate(out: Path, tickets: int, seed: int, generator: str,
             cache: Path | None = None) -> str:
    """Generate into `out`; with a cache, generate once there and copy the store files."""
    if cache is not None:
        cached = cache / f"{generator}-{tickets}-s{seed}"
        if not (cached / "store.json").exists():
            shutil.rmtree(cached, ignore_errors=True)
            generate(cached, tickets, seed, generator)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("store.json", "archive.json"):  # the event log is not needed here
            if (cached / name).exists():
                shutil.copyfile(cached / name, out / name)
        return f"{generator} (cached in {cached})"
    if generator == "demo":
        from tui.core.demo import generate as demo_generate

        demo_generate(out, tickets=tickets, seed=seed)
        return "tui.core.demo.generate"
    generate_bulk(out, tickets, seed)
    return "bulk (4 x ~500-byte messages, 25% active)"


def plain_tinydb_copy(store: Path, target: Path) -> None:
    """The same data as one stock TinyDB file (no archive: every ticket in one table)."""
    import orjson

    tables = orjson.loads((store / "store.json").read_bytes())
    archive = store / "archive.json"
    if archive.exists():
        tables.setdefault("tickets", {}).update(orjson.loads(archive.read_bytes())["tickets"])
    target.write_bytes(orjson.dumps(tables))


def active_count(store: Path) -> tuple[int, int]:
    import orjson

    active = len(orjson.loads((store / "store.json").read_bytes()).get("tickets", {}))
    archive = store / "archive.json"
    archived = len(orjson.loads(archive.read_bytes())["tickets"]) if archive.exists() else 0
    return active, active + archived


# -- child processes -------------------------------------------------------------
def maxrss_mb() -> float:
    """This process's peak RSS. On Linux getrusage's ru_maxrss keeps the peak of the image
    before exec, i.e. of the forked benchmark parent, so VmHWM (reset at exec) is read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wait_go(go: str, me: int) -> None:
    """Say "loaded", then wait until every writer has loaded: all start together."""
    Path(f"{go}.ready{me}").touch()
    while not os.path.exists(go):
        time.sleep(0.001)


def child_open(backend: str, path: str) -> dict:
    from tinydb import Query

    if backend == "desk":
        from tui.core.store import TinyDBStore

        t0 = time.perf_counter()
        store = TinyDBStore(Path(path))
        found = store.query("tickets", Query().status == QUERY_STATUS)
        elapsed = time.perf_counter() - t0
        store.close()
    else:
        from tinydb import TinyDB

        t0 = time.perf_counter()
        db = TinyDB(path)
        found = db.table("tickets").search(Query().status == QUERY_STATUS)
        elapsed = time.perf_counter() - t0
        db.close()
    return {"open_s": elapsed, "found": len(found), "rss_mb": maxrss_mb()}


def child_desk_writer(path: str, updates: int, seed: int, go: str, extra: bool) -> dict:
    from tui.core.store import ConflictError, TinyDBStore

    store = TinyDBStore(Path(path), agent=f"bench{seed}")
    rng = random.Random(seed)
    ids = [d["id"] for d in store.ticket_docs()]
    wait_go(go, seed)
    lat, conflicts = [], 0
    t_start = time.perf_counter()
    for i in range(updates):
        while True:
            tid = rng.choice(ids)
            cur = store.get_ticket(tid)
            t0 = time.perf_counter()
            try:
                store.update_ticket(tid, {"issue_key": f"b{seed}-{i}"}, cur.rev)
            except ConflictError:
                conflicts += 1
                continue
            lat.append(time.perf_counter() - t0)
            break
    wall = time.perf_counter() - t_start
    result = {"lat": lat, "wall": wall, "conflicts": conflicts, "rss_mb": maxrss_mb()}
    if extra:  # the other one-ticket writes of T1
        ins, app = [], []
        for i in range(max(20, updates // 2)):
            t0 = time.perf_counter()
            new = store.insert_ticket(customer="C-1", subject=f"bench {i}", body="x" * 500)
            ins.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            store.append_message(rng.choice(ids), kind="public_reply", body="y" * 500)
            app.append(time.perf_counter() - t0)
            ids.append(new.id)
        result.update(insert=ins, append=app)
    store.close()
    return result


def child_tinydb_writer(path: str, updates: int, seed: int, go: str, budget: float,
                        min_updates: int, locked: bool) -> dict:
    import fcntl

    from tinydb import TinyDB

    db = TinyDB(path)
    table = db.table("tickets")
    ids = [int(k) for k in table._read_table()]  # doc ids, without building Documents
    rng = random.Random(seed)
    lock_fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o660) if locked else None
    wait_go(go, seed)
    lat = []
    t_start = time.perf_counter()
    for i in range(updates):
        if i >= min_updates and time.perf_counter() - t_start > budget:
            break
        doc_id = rng.choice(ids)
        t0 = time.perf_counter()
        if lock_fd is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            table.clear_cache()
            table.update({"issue_key": f"b{seed}-{i}"}, doc_ids=[doc_id])
        finally:
            if lock_fd is not None:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
        lat.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t_start
    db.close()
    return {"lat": lat, "wall": wall, "conflicts": 0, "rss_mb": maxrss_mb()}


def run_child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", *args],
                            stdout=subprocess.PIPE, text=True)


def collect(procs: list[subprocess.Popen]) -> list[dict]:
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"a benchmark child failed (exit {p.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def writers(kind: str, path: Path, n: int, updates: int, tmp: Path, **kw) -> dict:
    go = tmp / f"go-{kind}-{n}-{time.monotonic_ns()}"
    procs = []
    for w in range(n):
        if kind == "desk":
            procs.append(run_child("desk_writer", str(path), str(updates), str(w + 1), str(go),
                                   "1" if kw.get("extra") and n == 1 else "0"))
        else:
            procs.append(run_child("tinydb_writer", str(path), str(updates), str(w + 1), str(go),
                                   str(kw["budget"]), str(kw["min_updates"]), "1" if n > 1 else "0"))
    ready_wait(procs, [Path(f"{go}.ready{w + 1}") for w in range(n)])
    go.touch()
    results = collect(procs)
    lat = [x for r in results for x in r["lat"]]
    wall = max(r["wall"] for r in results)
    merged = {"lat": lat, "n": len(lat), "throughput": len(lat) / wall if wall else 0.0,
              "conflicts": sum(r["conflicts"] for r in results),
              "rss_mb": max(r["rss_mb"] for r in results)}
    for key in ("insert", "append"):
        if key in results[0]:
            merged[key] = results[0][key]
    return merged


def ready_wait(procs: list[subprocess.Popen], ready: list[Path]) -> None:
    """Writers load the store first; nobody starts until all have loaded."""
    while not all(p.exists() for p in ready):
        for p in procs:
            if p.poll() is not None:
                raise SystemExit("a benchmark child died while loading")
        time.sleep(0.01)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def open_runs(kind: str, path: Path, runs: int) -> dict:
    results = [collect([run_child("open", kind, str(path))])[0] for _ in range(runs)]
    return {"open_s": statistics.median(r["open_s"] for r in results),
            "rss_mb": statistics.median(r["rss_mb"] for r in results),
            "found": results[0]["found"]}


# -- the run ---------------------------------------------------------------------
def fmt_ms(s: float) -> str:
    ms = s * 1000
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def fmt_ratio(desk: float, tiny: float) -> str:
    if not tiny or math.isnan(tiny) or math.isnan(desk):
        return "–"
    r = desk / tiny
    return f"{r:.4f}" if r < 0.01 else f"{r:.3f}" if r < 1 else f"{r:.2f}"


def bench_size(size: int, args, tmp: Path) -> dict:
    store = tmp / f"desk-{size}"
    t0 = time.perf_counter()
    how = generate(store, size, args.seed, args.generator, args.cache)
    gen_s = time.perf_counter() - t0
    plain = tmp / f"tinydb-{size}.json"
    plain_tinydb_copy(store, plain)
    active, total = active_count(store)
    log(f"{size}: generated with {how} in {gen_s:.1f} s: {active} active of {total} tickets, "
        f"store.json {(store / 'store.json').stat().st_size / 1e6:.1f} MB, "
        f"TinyDB file {plain.stat().st_size / 1e6:.1f} MB")

    r: dict = {"size": size, "active": active, "total": total,
               "store_mb": (store / "store.json").stat().st_size / 1e6,
               "tinydb_mb": plain.stat().st_size / 1e6}
    r["desk_open"] = open_runs("desk", store, args.open_runs)
    log(f"{size}: desk open {fmt_ms(r['desk_open']['open_s'])}, RSS {r['desk_open']['rss_mb']:.0f} MB")
    r["load_before"] = os.getloadavg()[0]
    r["desk_1"] = repeated(args.repeat, lambda: writers("desk", store, 1, args.updates, tmp,
                                                        extra=True))
    log(f"{size}: desk 1 writer p50 {fmt_ms(p(r['desk_1'], 'lat', 50))} "
        f"p95 {fmt_ms(p(r['desk_1'], 'lat', 95))}")
    r["desk_4"] = repeated(args.repeat, lambda: writers("desk", store, args.writers,
                                                        args.updates, tmp))
    log(f"{size}: desk {args.writers} writers p50 {fmt_ms(p(r['desk_4'], 'lat', 50))} "
        f"p95 {fmt_ms(p(r['desk_4'], 'lat', 95))}, {r['desk_4']['throughput']:.0f} writes/s")

    if not args.no_tinydb:
        r["tiny_open"] = open_runs("tinydb", plain, args.open_runs)
        log(f"{size}: TinyDB open {fmt_ms(r['tiny_open']['open_s'])}, "
            f"RSS {r['tiny_open']['rss_mb']:.0f} MB")
        cap = min(args.updates, args.tinydb_cap)
        r["tiny_1"] = writers("tinydb", plain, 1, cap, tmp, budget=args.tinydb_budget,
                              min_updates=args.tinydb_min)
        log(f"{size}: TinyDB 1 writer: {r['tiny_1']['n']} updates, "
            f"p50 {fmt_ms(pct(r['tiny_1']['lat'], 50))}")
        per_writer = max(args.tinydb_min, min(args.updates, args.tinydb_cap // args.writers))
        r["tiny_4"] = writers("tinydb", plain, args.writers, per_writer, tmp,
                              budget=args.tinydb_budget, min_updates=args.tinydb_min)
        log(f"{size}: TinyDB {args.writers} writers: {r['tiny_4']['n']} updates, "
            f"p50 {fmt_ms(pct(r['tiny_4']['lat'], 50))}")
    r["load_after"] = os.getloadavg()[0]
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
        plain.unlink(missing_ok=True)
    return r


def repeated(times: int, run) -> dict:
    """Run a latency measurement `times` times: p50/p95 are the medians of the runs' figures."""
    runs = [run() for _ in range(times)]
    merged = dict(runs[0])
    for key in ("lat", "insert", "append"):
        if key in merged:
            merged[key + "_p"] = {q: statistics.median(pct(r[key], q) for r in runs)
                                  for q in (50, 95)}
    merged["throughput"] = statistics.median(r["throughput"] for r in runs)
    merged["n"] = sum(r["n"] for r in runs)
    merged["runs"] = times
    return merged


def p(r: dict, key: str, q: int) -> float:
    """p50/p95 of a measurement: the median over repeats if repeated, else of the samples."""
    if key + "_p" in r:
        return r[key + "_p"][q]
    return pct(r[key], q)


def open_only(active_target: int, args, tmp: Path, sizes: dict[int, dict]) -> dict | None:
    """Open time and RSS for a store whose active set is about `active_target` tickets."""
    for r in sizes.values():
        if abs(r["active"] - active_target) <= 0.05 * active_target:
            return {"size": r["size"], "active": r["active"], "open": r["desk_open"]}
    # The generator's active share, from a small store.
    probe = tmp / "probe"
    generate(probe, 2000, args.seed, args.generator, args.cache)
    active, total = active_count(probe)
    shutil.rmtree(probe)
    size = round(active_target * total / active)
    store = tmp / f"desk-active-{size}"
    generate(store, size, args.seed, args.generator, args.cache)
    active, _ = active_count(store)
    result = {"size": size, "active": active, "open": open_runs("desk", store, args.open_runs)}
    shutil.rmtree(store, ignore_errors=True)
    return result


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def report(results: list[dict], active_open: dict | None, args) -> str:
    w = args.writers
    lines = [
        f"Generator: {args.generator}; {args.updates} updates per desk writer, desk latency "
        f"figures are the median of {args.repeat} runs; plain TinyDB "
        f"stops after {args.tinydb_budget:g} s per measurement (at least {args.tinydb_min} "
        f"updates per writer, at most {args.tinydb_cap} in all); {w}-writer TinyDB holds a "
        "file lock around each update. Ratio = desk ÷ TinyDB (below 1: desk is better).",
        "",
        "| tickets (active) | measure | desk | plain TinyDB | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        label = f"{r['size']:,} ({r['active']:,})"
        rows = [
            ("update p50, 1 writer", p(r["desk_1"], "lat", 50), "tiny_1", 50, "ms"),
            ("update p95, 1 writer", p(r["desk_1"], "lat", 95), "tiny_1", 95, "ms"),
            (f"update p50, {w} writers", p(r["desk_4"], "lat", 50), "tiny_4", 50, "ms"),
            (f"update p95, {w} writers", p(r["desk_4"], "lat", 95), "tiny_4", 95, "ms"),
        ]
        for name, desk, key, q, _ in rows:
            tiny = pct(r[key]["lat"], q) if key in r else float("nan")
            note = f" (n={r[key]['n']})" if key in r else ""
            lines.append(f"| {label} | {name} | {fmt_ms(desk)} | "
                         f"{fmt_ms(tiny) + note if key in r else '–'} | {fmt_ratio(desk, tiny)} |")
        dmax, tmax = max(r["desk_4"]["lat"]), max(r["tiny_4"]["lat"]) if "tiny_4" in r else float("nan")
        lines.append(f"| {label} | update max, {w} writers (first run) | {fmt_ms(dmax)} | "
                     f"{fmt_ms(tmax) if 'tiny_4' in r else '–'} | {fmt_ratio(dmax, tmax)} |")
        t4 = r.get("tiny_4", {}).get("throughput", float("nan"))
        tiny_t4 = f"{t4:,.1f}/s" if "tiny_4" in r else "–"
        ratio_t4 = f"{fmt_ratio(t4, r['desk_4']['throughput'])} (TinyDB ÷ desk)" if "tiny_4" in r else "–"
        lines.append(f"| {label} | throughput, {w} writers | {r['desk_4']['throughput']:,.0f}/s | "
                     f"{tiny_t4} | {ratio_t4} |")
        to = r.get("tiny_open")
        lines.append(f"| {label} | open + first query | {fmt_ms(r['desk_open']['open_s'])} | "
                     f"{fmt_ms(to['open_s']) if to else '–'} | "
                     f"{fmt_ratio(r['desk_open']['open_s'], to['open_s']) if to else '–'} |")
        tiny_rss = f"{to['rss_mb']:,.0f} MB" if to else "–"
        lines.append(f"| {label} | peak RSS (open + query) | {r['desk_open']['rss_mb']:,.0f} MB | "
                     f"{tiny_rss} | "
                     f"{fmt_ratio(r['desk_open']['rss_mb'], to['rss_mb']) if to else '–'} |")
        lines.append(f"| {label} | insert p50 / p95, 1 writer (desk) | "
                     f"{fmt_ms(p(r['desk_1'], 'insert', 50))} / {fmt_ms(p(r['desk_1'], 'insert', 95))} | – | – |")
        lines.append(f"| {label} | add message p50 / p95, 1 writer (desk) | "
                     f"{fmt_ms(p(r['desk_1'], 'append', 50))} / {fmt_ms(p(r['desk_1'], 'append', 95))} | – | – |")
    lines.append("")
    loads = ", ".join(f"{r['size']:,}: {r['load_before']:.1f}→{r['load_after']:.1f}" for r in results)
    lines.append(f"1-minute load average before → after each size (CPUs: {os.cpu_count()}): {loads}")
    lines.append("")
    lines.append(targets(results, active_open, w))
    return "\n".join(lines)


def targets(results: list[dict], active_open: dict | None, w: int) -> str:
    out = ["Targets (issue 2):", ""]
    by = {r["size"]: r for r in results}
    big, small = max(by), min(by)
    p95 = p(by[big]["desk_4"], "lat", 95)
    out.append(f"- update p95 ≤ 20 ms with {w} writers at {big:,}: {fmt_ms(p95)} → "
               f"{'met' if p95 <= 0.020 else 'MISSED'}"
               + ("" if big >= 100_000 else " (largest size run; the target is at 100,000)"))
    for key, name in (("desk_1", "1 writer"), ("desk_4", f"{w} writers")):
        a, b = p(by[small][key], "lat", 50), p(by[big][key], "lat", 50)
        out.append(f"- write cost {small:,} → {big:,} within 2× ({name}, p50): "
                   f"{fmt_ms(a)} → {fmt_ms(b)} = {b / a:.2f}× → {'met' if b / a <= 2 else 'MISSED'}")
    a, b = p(by[small]["desk_1"], "insert", 50), p(by[big]["desk_1"], "insert", 50)
    out.append(f"- insert cost {small:,} → {big:,} (p50): {fmt_ms(a)} → {fmt_ms(b)} = {b / a:.2f}×")
    if active_open:
        s = active_open["open"]["open_s"]
        out.append(f"- open + first query ≤ 0.5 s with a {active_open['active']:,}-ticket active set "
                   f"({active_open['size']:,} tickets): {fmt_ms(s)} → {'met' if s <= 0.5 else 'MISSED'}; "
                   f"peak RSS {active_open['open']['rss_mb']:,.0f} MB (T12: ≤ 400 MB)")
    return "\n".join(out)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        role, rest = sys.argv[2], sys.argv[3:]
        if role == "open":
            res = child_open(rest[0], rest[1])
        elif role == "desk_writer":
            res = child_desk_writer(rest[0], int(rest[1]), int(rest[2]), rest[3], rest[4] == "1")
        else:
            res = child_tinydb_writer(rest[0], int(rest[1]), int(rest[2]), rest[3],
                                      float(rest[4]), int(rest[5]), rest[6] == "1")
        print(json.dumps(res))
        return

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="comma-separated ticket counts (default: 1000,10000,100000)")
    ap.add_argument("--generator", choices=["demo", "bulk"], default="demo",
                    help="demo: tui.core.demo.generate (default); bulk: 4 x ~500-byte messages")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--updates", type=int, default=400, help="updates per desk writer")
    ap.add_argument("--repeat", type=int, default=3,
                    help="desk latency runs per figure; the table gives their median")
    ap.add_argument("--cache", type=Path,
                    help="keep generated stores here and reuse them (the demo generator takes "
                         "minutes at 100k)")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--open-runs", type=int, default=3, help="fresh processes per open time")
    ap.add_argument("--tinydb-budget", type=float, default=30.0,
                    help="seconds per plain TinyDB update measurement")
    ap.add_argument("--tinydb-min", type=int, default=5, help="minimum TinyDB updates per writer")
    ap.add_argument("--tinydb-cap", type=int, default=100_000,
                    help="most plain TinyDB updates per measurement")
    ap.add_argument("--active-set", type=int, default=25_000,
                    help="also time open for a store with this many active tickets (0: skip)")
    ap.add_argument("--no-tinydb", action="store_true", help="skip plain TinyDB")
    ap.add_argument("--keep", action="store_true", help="keep the generated stores")
    ap.add_argument("--tmp", help="directory for the generated stores (default: a temp dir)")
    args = ap.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s]
    tmp = Path(args.tmp or tempfile.mkdtemp(prefix="desk-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {}
    try:
        for size in sizes:
            results[size] = bench_size(size, args, tmp)
        active_open = (open_only(args.active_set, args, tmp, results)
                       if args.active_set else None)
    finally:
        if not args.keep and not args.tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(report(list(results.values()), active_open, args))
    log(f"total {time.perf_counter() - t0:.0f} s on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
