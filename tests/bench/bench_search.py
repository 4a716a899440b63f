"""Search everywhere (issue 16 item 4) at 10k and 100k tickets, beside sqlite3 `LIKE`.

    python tests/bench/bench_search.py                  # 10k and 100k
    python tests/bench/bench_search.py --sizes 10k      # quicker

Uses run.py's stores (tests/bench/stores/demo-N-s7, generated once, with `bench.sqlite`), each
on a private copy. Figures, all in this run, medians and p95 over the needles:
- index build: the first process that searches a store that has no index (once per store,
  and again after a compaction of that part; every later process shares it);
- first search: a fresh process opens the store and searches once (the index on disk), the
  whole call timed; one process per needle;
- later searches: one process, every needle after a warm-up;
- sqlite3 `LIKE` over subjects and message bodies (bench.sqlite), as in run.py;
- desk's old `search(include_archive=True)`: first call and the next, for the record.
Needles are words of random tickets' messages (seeded).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from bench_ui import ensure_store  # noqa: E402

CHILD = r"""
import json, sys, time
from tui.core.store import TinyDBStore
path, mode, needles = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
s = TinyDBStore(path, agent="bench", defer_load=True)
opened = time.perf_counter()
out = []
if mode == "first":
    s.search_everywhere(needles[0]); out.append(time.perf_counter() - opened)
elif mode == "later":
    s.search_everywhere(needles[0])
    for n in needles:
        t = time.perf_counter(); s.search_everywhere(n); out.append(time.perf_counter() - t)
elif mode == "old":
    for n in needles[:2]:
        t = time.perf_counter(); s.search(n, include_archive=True); out.append(time.perf_counter() - t)
print(json.dumps(out))
s.close()
"""


def child(store: Path, mode: str, needles: list[str]) -> list[float]:
    run = subprocess.run([sys.executable, "-c", CHILD, str(store), mode, json.dumps(needles)],
                         capture_output=True, text=True, check=True, cwd=HERE.parents[1])
    return json.loads(run.stdout.strip().splitlines()[-1])


def stats(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2), "n": len(ms)}


def pick_needles(sq: Path, count: int, seed: int) -> list[str]:
    db = sqlite3.connect(sq)
    bodies = [r[0] for r in db.execute("SELECT body FROM messages ORDER BY random() LIMIT 400")]
    rng = random.Random(seed)
    words = sorted({w.strip(".,!?:;()\"'") for b in bodies for w in b.split()
                    if len(w.strip(".,!?:;()\"'")) >= 5 and w.isalpha()})
    return rng.sample(words, min(count, len(words)))


def like(sq: Path, needles: list[str]) -> list[float]:
    db = sqlite3.connect(sq)
    out = []
    for needle in needles:
        t = time.perf_counter()
        pattern = f"%{needle}%"
        db.execute("SELECT id FROM tickets WHERE subject LIKE ? UNION "
                   "SELECT ticket_id FROM messages WHERE body LIKE ?", (pattern, pattern)).fetchall()
        out.append(time.perf_counter() - t)
    return out


def bench(size: int, needles_n: int, seed: int) -> dict:
    source = ensure_store(HERE / "stores", size, 7)
    needles = pick_needles(source / "bench.sqlite", needles_n, seed)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(source, store, copy_function=shutil.copy2)
        (store / "search-index.sqlite").unlink(missing_ok=True)
        res: dict = {"size": size, "needles": needles}
        t = time.perf_counter()
        child(store, "first", needles[:1])
        res["index_build_s"] = round(time.perf_counter() - t, 1)
        res["index_mb"] = round((store / "search-index.sqlite").stat().st_size / 1e6, 1)
        res["first"] = stats([child(store, "first", [n])[0] for n in needles])
        res["later"] = stats(child(store, "later", needles))
        res["sqlite_like"] = stats(like(store / "bench.sqlite", needles))
        res["old_search_first_then_next_s"] = [round(v, 2) for v in child(store, "old", needles)]
    res["ratio_sqlite_like_over_later"] = round(
        res["sqlite_like"]["median_ms"] / max(res["later"]["median_ms"], 1e-3), 1)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--needles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-search.json")
    args = parser.parse_args()
    sizes = [int(s.lower().replace("k", "000")) for s in args.sizes.split(",")]
    results = [bench(size, args.needles, args.seed) for size in sizes]
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    for r in results:
        print(f"{r['size']:>7} tickets: index build {r['index_build_s']} s ({r['index_mb']} MB); "
              f"first search median {r['first']['median_ms']} ms p95 {r['first']['p95_ms']} ms; "
              f"later median {r['later']['median_ms']} ms p95 {r['later']['p95_ms']} ms; "
              f"sqlite3 LIKE median {r['sqlite_like']['median_ms']} ms "
              f"({r['ratio_sqlite_like_over_later']}x later); "
              f"old search first/next {r['old_search_first_then_next_s']} s")


if __name__ == "__main__":
    main()
