"""Benchmark (issue 18): `desk --demo` against a bare Textual app painting one line, started
alternately on the same pty, side by side in one run.

    python tests/bench/bench_paint.py            # 9 starts of each, medians
    python tests/bench/bench_paint.py --starts 15

Painted = fork to the end of the output burst (50 ms gap) that first shows the thing: a
ticket row for desk, the line for the bare app (bench_ui.py's start figure). Both run with
the bytecode cache warm (one start of each first, not counted). Writes PAINT-RESULTS.md
and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_ui as bu  # noqa: E402
from _pty import TICKET_ROW, PtyApp, bursts  # noqa: E402

TARGET_RATIO = 1.5  # issue 18: desk --demo within 1.5x of the bare app
LINE = "desk bench: one line"
BARE = textwrap.dedent(f"""
    from textual.app import App
    from textual.widgets import Static

    class OneLine(App):
        def compose(self):
            yield Static({LINE!r})

    OneLine().run()
""")


def painted(app: PtyApp, shows: re.Pattern, timeout: float = 60.0) -> float:
    """Fork to the end of the burst in which `shows` first appears."""
    first = bu.first_shown(app, shows, timeout)
    if first is None:
        raise SystemExit(f"nothing matching {shows.pattern!r} within {timeout:.0f} s")
    time.sleep(bu.BURST_GAP * 2)  # the rest of its burst
    end = next(end for start, end in bursts(app.chunks, app.t_spawn, bu.BURST_GAP)
               if start <= first <= end)
    return end - app.t_spawn


def start_once(kind: str, cfg: Path, bare: Path) -> float:
    args = [str(bare)] if kind == "bare" else ["-m", "tui", "--demo"]
    app = PtyApp(None, cfg, args=args)
    try:
        return painted(app, re.compile(re.escape(LINE)) if kind == "bare" else TICKET_ROW)
    finally:
        app.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=9, help="starts of each (median)")
    ap.add_argument("--out", type=Path, default=HERE / "PAINT-RESULTS.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="desk-bench-paint-") as tmpdir:
        tmp = Path(tmpdir)
        bare, cfg = tmp / "one_line.py", tmp / "config"
        bare.write_text(BARE)
        cfg.mkdir()
        for kind in ("bare", "desk"):  # warm the bytecode and page caches; not counted
            start_once(kind, cfg, bare)
        times: dict[str, list[float]] = {"bare": [], "desk": []}
        load0 = os.getloadavg()[0]
        for _ in range(args.starts):  # alternately, so both see the same machine
            for kind in ("bare", "desk"):
                times[kind].append(start_once(kind, cfg, bare))
        load1 = os.getloadavg()[0]
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["desk"] / med["bare"]
    saved = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "cpu": bu.cpu_model(), "nproc": os.cpu_count(), "load": [load0, load1],
             "times": times, "median": med, "ratio": ratio}
    args.out.with_suffix(".json").write_text(json.dumps(saved, indent=1))
    verdict = "met" if ratio <= TARGET_RATIO else "missed"
    text = "\n".join([
        "# desk --demo against a bare Textual app (issue 18)", "",
        f"Written by `python tests/bench/bench_paint.py` on {saved['date']}: {saved['nproc']} "
        f"CPUs ({saved['cpu']}), Python {sys.version.split()[0]}; {args.starts} starts of each, "
        f"alternately, after one warm-up start of each; 1-minute load {load0:.1f} → {load1:.1f}.",
        "",
        "| app | painted, median | min | max |", "|---|---:|---:|---:|",
        *(f"| {name} | {med[k] * 1000:.0f} ms | {min(times[k]) * 1000:.0f} ms | "
          f"{max(times[k]) * 1000:.0f} ms |"
          for k, name in (("bare", "bare Textual app, one line"),
                          ("desk", "`desk --demo` (300 tickets), its queue"))),
        "",
        f"Ratio desk ÷ bare: **{ratio:.2f}** (target ≤ {TARGET_RATIO}: **{verdict}**).", ""])
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
