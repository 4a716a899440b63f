"""Benchmark: desk as an agent feels it, beside plain TinyDB and sqlite3 (issue 6).

One run, for each size (default 1k, 10k, 100k tickets from `tui.core.demo.generate`,
generated once into tests/bench/stores/), measures:

- start to the first painted queue: `python -m tui` in a fresh process on a
  120 x 40 pty, from fork+exec to the last byte of the burst that first shows a
  ticket row; TinyDB/sqlite3: a fresh process that opens the file and runs the
  queue's sorted query of the open tickets;
- Down to the settled frame (p50/p95), a filter keystroke to the settled frame,
  timed on the pty from the key byte to the last output byte;
- opening a ticket, the filter's query, full-text search, in fresh child processes;
- one durable update with 1 and 4 writer processes (bench_store's writers, plus
  sqlite3's);
- idle CPU of the app over 20 s, and its RSS.

It writes tests/bench/RESULTS.md (see README.md for every definition).

    python tests/bench/run.py                      # 1k, 10k, 100k (+ demo store, 25k active)
    python tests/bench/run.py --sizes 1k,10k       # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_store as bs  # noqa: E402  (the store benchmark: generators, writers, helpers)
import _others  # noqa: E402
from _pty import DOWN, ESCAPE, BACKSPACE, TICKET_ROW, PtyApp, bursts, first_burst_end, visible  # noqa: E402

QUIET = 0.30  # no real output for this long: the frame has settled
BURST_GAP = 0.05  # the brief's burst: ends at a 50 ms gap
FILTER_KEYS = [b"p", b"r", b"i", b"n", b"t", b"e", b"r", BACKSPACE, BACKSPACE, BACKSPACE,
               BACKSPACE, BACKSPACE]  # "printer", then back to "pr"
FILTER_TEXTS = ["p", "pr", "pri", "prin", "print", "printe", "printer", "printe", "print",
                "prin", "pri", "pr"]
NEEDLES = ["router", "faktur", "garantie", "xyzzy"]
MATCH = __import__("re").compile(r"\d+\+? of \d+ match")  # "1000+ of …": counted up to a cap
APP_ROOT: Path | None = None  # --app-root: run the app from another checkout


IDLE_CUTOFF_S = 20


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def size_arg(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


# -- stores ----------------------------------------------------------------------
def ensure_store(stores: Path, size: int, seed: int) -> Path:
    """tests/bench/stores/demo-N-sS: generated once (a temp dir renamed when complete)."""
    final = stores / f"demo-{size}-s{seed}"
    if not (final / "store.json").exists():
        from tui.core.demo import generate

        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.perf_counter()
        generate(tmp, tickets=size, seed=seed)
        tmp.rename(final)
        log(f"{size}: generated in {time.perf_counter() - t0:.0f} s")
    plain = final / "tinydb.json"
    if not plain.exists():
        bs.plain_tinydb_copy(final, plain.with_suffix(".tmp"))
        plain.with_suffix(".tmp").rename(plain)
    sq = final / "bench.sqlite"
    if not sq.exists():
        _others.build_sqlite(final, sq)
    ensure_archive_index(final)
    ensure_queue_summary(final)
    ensure_derived_indexes(final)
    return final


def ensure_derived_indexes(store: Path) -> None:
    """A store in use has the snapshot's index (store-index.json: written with each snapshot,
    or at an open that reads the snapshot) and the search index (search-index.sqlite: built
    by the first desk, then kept current): make both as a desk would, once."""
    from tui.core.store import TinyDBStore

    s = TinyDBStore(store)
    try:
        s.products()
        s.warm_search_index()
    finally:
        s.close()


def ensure_queue_summary(store: Path) -> None:
    """A store in use is in desk's snapshot layout (one document per line) with its queue
    summary: desk writes both at each compaction (and `desk demo` at once). A store generated
    before either existed is compacted here, once, as desk would."""
    from tui.core.store import TinyDBStore
    from tui.core.store.tinydb.snapshot import HEAD

    s = TinyDBStore(store, defer_load=True)
    try:
        with open(store / "store.json", "rb") as f:
            sliced = f.read(len(HEAD)) == HEAD
        if s.summary_due or not sliced:
            s.compact()
            log(f"{store.name}: compacted (desk's layout and queue summary)")
    finally:
        s.close()


def ensure_archive_index(store: Path) -> None:
    """A store in use has its archive index (written at each compaction); a generated one
    gets it at its first customer history, once (~2 s and ~1.2 GB at 100k). Build it here,
    so that the app's figures are those of a store in use."""
    from tui.core.store import TinyDBStore
    from tui.core.store.tinydb.archive_index import INDEX_FILE

    if (store / "archive.json").exists() and not (store / INDEX_FILE).exists():
        t0 = time.perf_counter()
        s = TinyDBStore(store)
        try:
            s.customer_history(s.customers()[0].id)
        finally:
            s.close()
        log(f"{store.name}: archive index built in {time.perf_counter() - t0:.1f} s")


def ensure_bulk(stores: Path, size: int, seed: int) -> Path:
    """bench_store.py's bulk store (25% of tickets active), generated once."""
    final = stores / f"bulk-{size}-s{seed}"
    if not (final / "store.json").exists():
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        bs.generate_bulk(tmp, size, seed)
        tmp.rename(final)
    ensure_archive_index(final)
    ensure_queue_summary(final)
    ensure_derived_indexes(final)
    return final


def work_copy(src: Path, dst: Path) -> Path:
    """A private copy of a store, event log, archive index and queue summary included (the
    app reads the log's tail at start; the derived files know their snapshot by content and
    modification time, which copy2 keeps)."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    os.chmod(dst, 0o700)
    for name in ("store.json", "archive.json", "archive-index.json", "queue-summary.json",
                 "store-index.json", "search-index.sqlite", "events.jsonl"):
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)
            os.chmod(dst / name, 0o600)
    return dst


# -- children --------------------------------------------------------------------
def child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__)), "--child", *args]


def spawn_until_ready(*args: str) -> dict:
    """Fresh process; the time from spawn to its answer line (import, open, query)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(child(*args), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    rest, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed ({proc.returncode})")
    out = json.loads(line)
    out["spawn_s"] = elapsed
    return out


def run_json(*args: str) -> dict:
    proc = subprocess.run(child(*args), stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sqlite_writers(path: Path, n: int, updates: int, tmp: Path) -> dict:
    go = tmp / f"go-sqlite-{n}-{time.monotonic_ns()}"
    procs = [subprocess.Popen(child("sqlite_writer", str(path), str(updates), str(w + 1), str(go)),
                              stdout=subprocess.PIPE, text=True) for w in range(n)]
    bs.ready_wait(procs, [Path(f"{go}.ready{w + 1}") for w in range(n)])
    go.touch()
    results = bs.collect(procs)
    lat = [x for r in results for x in r["lat"]]
    wall = max(r["wall"] for r in results)
    return {"lat": lat, "n": len(lat), "throughput": len(lat) / wall if wall else 0.0}


# -- the app on a pty ----------------------------------------------------------------
def first_shown(app: PtyApp, shows, timeout: float) -> float | None:
    """When the chunk that first makes the screen show `shows` (a regex) came; None if it
    did not within `timeout`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and not app.closed:
        if shows.search(app.text_since(app.t_spawn)):
            break
        time.sleep(0.01)
    raw = b""
    for c in list(app.chunks):
        raw += c.data
        if shows.search(visible(raw)):
            return c.t
    return None


def pty_start(app: PtyApp, timeout: float) -> dict:
    """Wait for the first ticket row; the start figure is the end of its burst."""
    first = first_shown(app, TICKET_ROW, timeout)
    if first is None:
        tail = app.text_since(app.t_spawn)[-400:]
        raise SystemExit(f"the app showed no ticket row within {timeout:.0f} s: {tail!r}")
    # Settled: the customer pane has its customer (it loads the archive first), then quiet.
    settled = app.wait_quiet(app.t_spawn, QUIET * 2, timeout,
                             lambda real: "Loyalty" in app.text_since(first))
    painted = next(end for start, end in bursts(app.chunks, app.t_spawn, BURST_GAP)
                   if start <= first <= end)
    return {"painted": painted - app.t_spawn, "first_row": first - app.t_spawn,
            "settled": settled[-1].t - app.t_spawn}


def key_to_settled(app: PtyApp, key: bytes, until=None, timeout: float = 20.0) -> dict:
    app.wait_quiet(time.perf_counter() - QUIET, QUIET, 10)  # nothing still coming
    t = app.press(key)
    real = app.wait_quiet(t, QUIET, timeout, until or bool)  # a first answer, then quiet
    if not real:
        return {"first": None, "settled": None, "answered": None}
    return {"first": first_burst_end(real, t, BURST_GAP) - t, "settled": real[-1].t - t,
            "answered": answered(real, t, until) if until else None}


def answered(real, since: float, until) -> float | None:
    """Key to the end of the burst in which `until` first holds (the filter's count shown)."""
    for i in range(len(real)):
        if until(real[:i + 1]):
            end = next((end for start, end in bursts(real, since, BURST_GAP)
                        if start <= real[i].t <= end), real[i].t)
            return end - since
    return None


def filter_matched(real) -> bool:
    return bool(MATCH.search(visible(b"".join(c.data for c in real))))


def cpu_pct(app: PtyApp, seconds: float) -> float:
    ticks0, t0 = app.proc_stat_ticks(), time.perf_counter()
    time.sleep(seconds)
    ticks1, t1 = app.proc_stat_ticks(), time.perf_counter()
    return (ticks1 - ticks0) / os.sysconf("SC_CLK_TCK") / (t1 - t0) * 100


def desk_session(work: Path, cfg: Path, args, presses: int, idle: float, filter_keys: bool
                 ) -> dict:
    app = PtyApp(work, cfg, app_root=APP_ROOT)
    try:
        out = pty_start(app, timeout=180)
        downs = [key_to_settled(app, DOWN) for _ in range(presses)]
        out["down_first"] = [d["first"] for d in downs if d["first"] is not None]
        out["down_settled"] = [d["settled"] for d in downs if d["settled"] is not None]
        if idle:
            # With the ticket's handling timer running (the status bar shows it tick), then
            # once the idle cut-off (IDLE_CUTOFF_S, in the bench's config) has stopped it.
            app.wait_quiet(time.perf_counter(), 1.0, 10)
            out["idle_cpu_pct"] = cpu_pct(app, idle)
            time.sleep(max(0.0, IDLE_CUTOFF_S + 2 - idle))
            out["idle_after_cutoff_pct"] = cpu_pct(app, idle)
        if filter_keys:
            key_to_settled(app, b"/")
            keys = [key_to_settled(app, k, until=filter_matched, timeout=60) for k in FILTER_KEYS]
            out["filter_first"] = [k["first"] for k in keys if k["first"] is not None]
            out["filter_settled"] = [k["settled"] for k in keys if k["settled"] is not None]
            key_to_settled(app, ESCAPE, until=None)
        out["rss"] = app.rss_mb()
    finally:
        code = app.quit()
    out["exit"] = code
    return out


def desk_start_only(work: Path, cfg: Path) -> dict:
    app = PtyApp(work, cfg, app_root=APP_ROOT)
    try:
        out = pty_start(app, timeout=180)
        out["rss"] = app.rss_mb()
    finally:
        app.quit()
    return out


def smaps_rollup_mb(pid: int) -> dict[str, float]:
    """Rss, Pss (shared pages divided among the processes that map them) and private pages."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
            found[key] = int(value.split()[0]) / 1024
    found["Private"] = found.pop("Private_Clean", 0.0) + found.pop("Private_Dirty", 0.0)
    return found


def desks_memory(work: Path, cfg: Path, counts: list[int]) -> dict[str, dict]:
    """1, 10 and 30 desks on one store at once, as agents on one support host: each started
    once the one before it has settled (queue, detail and customer panes), then every desk's
    peak RSS and the sums, RSS and PSS (a page shared between desks counts once in the PSS
    sum: the interpreter's and libraries' code, the page cache of the files is not counted)."""
    out: dict[str, dict] = {}
    apps: list[PtyApp] = []
    try:
        for n in sorted(counts):
            while len(apps) < n:
                apps.append(PtyApp(work, cfg, app_root=APP_ROOT))
                pty_start(apps[-1], timeout=180)
            time.sleep(2.0)  # the last one's warm-ups (search fields, the search index)
            rollups = [smaps_rollup_mb(app.pid) for app in apps]
            peaks = [app.rss_mb()["VmHWM"] for app in apps]
            out[str(n)] = {"peak": peaks, "rss_sum": sum(r["Rss"] for r in rollups),
                           "pss_sum": sum(r["Pss"] for r in rollups),
                           "private_sum": sum(r["Private"] for r in rollups)}
            log(f"{n} desks: peak RSS median {med(peaks):.0f} MB, max {max(peaks):.0f} MB; "
                f"sum RSS {out[str(n)]['rss_sum']:.0f} MB, sum PSS {out[str(n)]['pss_sum']:.0f} MB")
    finally:
        for app in apps:
            app.quit()
    return out


# -- one size ----------------------------------------------------------------------
def bench_size(size: int, args, tmp: Path, cfg: Path) -> dict:
    store = ensure_store(args.stores, size, args.seed)
    active, total = bs.active_count(store)
    work = work_copy(store, tmp / f"desk-{size}")
    os.sync()
    big = size >= 50_000
    r: dict = {"size": size, "active": active, "total": total, "load": [os.getloadavg()[0]]}
    log(f"{size}: {active:,} active of {total:,}; desk on the pty")

    # The first start is of an agent the event log has never seen (the app then reads the
    # whole log for a run to resume); the others are of the same agent coming back.
    session = desk_session(work, cfg, args, args.presses_big if big else args.presses,
                           args.idle, filter_keys=True)
    starts = [desk_start_only(work, cfg) for _ in range(args.starts)]
    r["desk"] = session
    r["desk_first_start"] = session["painted"]
    r["desk_start"] = [s["painted"] for s in starts]
    r["desk_start_settled"] = [s["settled"] for s in starts]
    log(f"{size}: start {bs.fmt_ms(med(r['desk_start']))}, Down settled p50 "
        f"{bs.fmt_ms(bs.pct(session['down_settled'], 50))} p95 "
        f"{bs.fmt_ms(bs.pct(session['down_settled'], 95))}, filter p95 "
        f"{bs.fmt_ms(bs.pct(session['filter_settled'], 95))}, idle "
        f"{session.get('idle_cpu_pct', float('nan')):.2f}% CPU "
        f"({session.get('idle_after_cutoff_pct', float('nan')):.2f}% after the cut-off), RSS {session['rss']}")

    if big and args.desks:
        r["desks"] = desks_memory(work, cfg, [int(n) for n in args.desks.split(",")])

    r["core_start"] = [spawn_until_ready("start", "desk_core", str(work))["spawn_s"]
                       for _ in range(args.starts)]
    r["tiny_start"], r["sql_start"] = [], []
    for _ in range(args.starts):
        t = spawn_until_ready("start", "tinydb", str(store / "tinydb.json"))
        r["tiny_start"].append(t["spawn_s"])
        r["tiny_rss"] = t["rss"]
        s = spawn_until_ready("start", "sqlite", str(store / "bench.sqlite"))
        r["sql_start"].append(s["spawn_s"])
        r["sql_rss"] = s["rss"]
    log(f"{size}: start: desk core {bs.fmt_ms(med(r['core_start']))}, TinyDB "
        f"{bs.fmt_ms(med(r['tiny_start']))}, sqlite {bs.fmt_ms(med(r['sql_start']))}")

    ids = open_ids(store, args.seed, 40)
    params = json.dumps({"ids": ids, "prefixes": FILTER_TEXTS, "needles": NEEDLES,
                         "budget": args.op_budget})
    r["search_index_warm"] = run_json("warm_search_index", str(work))
    r["ops"] = {"desk": run_json("ops", "desk", str(work), params),
                "tinydb": run_json("ops", "tinydb", str(store / "tinydb.json"), params),
                "sqlite": run_json("ops", "sqlite", str(store / "bench.sqlite"), params)}
    log(f"{size}: ops done")

    tiny_copy, sql_copy = tmp / f"tinydb-{size}.json", tmp / f"sqlite-{size}.sqlite"
    shutil.copyfile(store / "tinydb.json", tiny_copy)
    shutil.copyfile(store / "bench.sqlite", sql_copy)
    os.sync()  # no writeback of these copies under the fdatasyncs being timed
    upd = {}
    for n in (1, args.writers):
        upd[f"desk{n}"] = bs.writers("desk", work, n, args.updates, tmp)
        upd[f"tiny{n}"] = bs.writers("tinydb", tiny_copy, n, args.updates, tmp,
                                     budget=args.tinydb_budget, min_updates=1 if big else 2)
        upd[f"sql{n}"] = sqlite_writers(sql_copy, n, args.updates, tmp)
        log(f"{size}: {n} writer(s): desk p95 {bs.fmt_ms(bs.pct(upd[f'desk{n}']['lat'], 95))}, "
            f"TinyDB p95 {bs.fmt_ms(bs.pct(upd[f'tiny{n}']['lat'], 95))} "
            f"(n={upd[f'tiny{n}']['n']}), sqlite p95 {bs.fmt_ms(bs.pct(upd[f'sql{n}']['lat'], 95))}")
    r["upd"] = upd
    for path in (tiny_copy, sql_copy):
        path.unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    r["load"].append(os.getloadavg()[0])
    return r


def open_ids(store: Path, seed: int, n: int) -> list[str]:
    import random

    import orjson

    docs = orjson.loads((store / "store.json").read_bytes())["tickets"].values()
    ids = sorted(d["id"] for d in docs if d.get("status") in _others.OPEN)
    return random.Random(seed).sample(ids, min(n, len(ids)))


def start_only_size(label: str, src: Path, args, tmp: Path, cfg: Path, presses: int) -> dict:
    """Start (and RSS) only: the shipped demo store, or a store with a 25k active set."""
    work = work_copy(src, tmp / f"desk-{label}")
    session = desk_session(work, cfg, args, presses, 0.0, filter_keys=False)
    starts = [desk_start_only(work, cfg) for _ in range(args.starts)]
    active, total = bs.active_count(src)
    shutil.rmtree(work, ignore_errors=True)
    return {"label": label, "active": active, "total": total, "first_start": session["painted"],
            "start": [s["painted"] for s in starts], "rss": session["rss"],
            "down_settled": session["down_settled"]}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- main ----------------------------------------------------------------------------
def child_main(argv: list[str]) -> None:
    role, rest = argv[0], argv[1:]
    if role == "start":
        fn = {"tinydb": _others.start_tinydb, "sqlite": _others.start_sqlite,
              "desk_core": _others.start_desk_core}[rest[0]]
        n = fn(rest[1])
        print(json.dumps({"n": n, "rss": bs.maxrss_mb()}), flush=True)
    elif role == "ops":
        p = json.loads(rest[2])
        res = _others.ops(rest[0], rest[1], p["ids"], p["prefixes"], p["needles"], p["budget"])
        res["rss"] = bs.maxrss_mb()
        print(json.dumps(res))
    elif role == "warm_search_index":  # as a desk that ran on the store leaves it
        from tui.core.store import TinyDBStore

        store = TinyDBStore(Path(rest[0]))
        t0 = time.perf_counter()
        store.warm_search_index()
        print(json.dumps({"warm_s": time.perf_counter() - t0}))
        store.close()
    elif role == "sqlite_writer":
        print(json.dumps(_others.sqlite_writer(rest[0], int(rest[1]), int(rest[2]), rest[3])))
    else:
        raise SystemExit(f"unknown child role {role}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child_main(argv[1:])
        return
    from _report import write_results  # noqa: PLC0415

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1k,10k,100k", help="ticket counts (default 1k,10k,100k)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--stores", type=Path, default=HERE / "stores",
                    help="generated stores are kept here (default tests/bench/stores)")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--starts", type=int, default=3, help="fresh starts per size (median)")
    ap.add_argument("--presses", type=int, default=50, help="Down presses per size")
    ap.add_argument("--presses-big", type=int, default=40, help="Down presses at >= 50k")
    ap.add_argument("--idle", type=float, default=20.0, help="idle CPU window, seconds")
    ap.add_argument("--updates", type=int, default=200, help="updates per desk/sqlite writer")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--desks", default="1,10,30",
                    help="desks at once on the biggest store, for memory ('' to skip)")
    ap.add_argument("--tinydb-budget", type=float, default=8.0,
                    help="seconds per plain TinyDB update measurement")
    ap.add_argument("--op-budget", type=float, default=8.0,
                    help="seconds per operation list in the ops children (TinyDB at 100k)")
    ap.add_argument("--bulk", type=size_arg, default=100_000,
                    help="also start desk on bench_store's bulk store of this size: 25%% "
                         "active, 4 x 500-byte messages, the shape of issue 6's RSS target "
                         "(0: skip)")
    ap.add_argument("--no-demo", action="store_true", help="skip the shipped demo store")
    ap.add_argument("--tmp", type=Path, help="work directory (default: a temp dir)")
    ap.add_argument("--app-root", type=Path,
                    help="run the app (only) from this checkout, to try a change outside the repo")
    ap.add_argument("--report-only", action="store_true",
                    help="write --out again from the raw figures of the last run "
                         "(RESULTS.json beside it), without measuring")
    args = ap.parse_args(argv)
    raw = args.out.with_suffix(".json")
    if args.report_only:
        saved = json.loads(raw.read_text())
        print(write_results(args.out, saved["results"], saved["extra"], saved["meta"], args))
        return
    global APP_ROOT
    APP_ROOT = args.app_root

    sizes = [size_arg(s) for s in args.sizes.split(",") if s.strip()]
    args.stores.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.tmp or tempfile.mkdtemp(prefix="desk-bench-ui-"))
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = tmp / "config"
    cfg.mkdir(exist_ok=True)
    # The handling timer stops IDLE_CUTOFF_S after the last key (default 120 s): a shorter
    # cut-off lets the run measure idle CPU both with the timer running and after it stopped.
    (cfg / "config.toml").write_text(f"[metrics]\nidle_cutoff_s = {IDLE_CUTOFF_S}\n")
    t_all = time.perf_counter()
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "python": platform.python_version(),
            "cpu": cpu_model(), "load_start": os.getloadavg()}
    results, extra = [], []
    try:
        # Warm-up (not measured): writes the bytecode cache as an install would have it.
        warm = ensure_store(args.stores, sizes[0], args.seed)
        desk_start_only(work_copy(warm, tmp / "warm"), cfg)
        if not args.no_demo:
            extra.append(start_only_size("shipped demo store", ROOT / "data" / "demo", args, tmp,
                                         cfg, presses=10))
            log(f"demo store: start {bs.fmt_ms(med(extra[-1]['start']))}")
        for size in sizes:
            results.append(bench_size(size, args, tmp, cfg))
        if args.bulk:
            src = ensure_bulk(args.stores, args.bulk, args.seed)
            extra.append(start_only_size(f"bulk {args.bulk // 1000}k, 25% active", src, args,
                                         tmp, cfg, presses=20))
            log(f"bulk: start {bs.fmt_ms(med(extra[-1]['start']))}, RSS {extra[-1]['rss']}")
    finally:
        if not args.tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    meta["load_end"] = os.getloadavg()
    meta["total_s"] = time.perf_counter() - t_all
    try:
        raw.write_text(json.dumps({"results": results, "extra": extra, "meta": meta}, default=str))
    except (TypeError, ValueError, OSError) as exc:  # the report below still gets written
        log(f"raw figures not saved to {raw}: {exc}")
    text = write_results(args.out, results, extra, meta, args)
    print(text)
    log(f"wrote {args.out} in {meta['total_s']:.0f} s")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


if __name__ == "__main__":
    main()
