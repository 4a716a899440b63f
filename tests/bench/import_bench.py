"""`desk import` of a dataset-layout CSV and a Zendesk JSON page, timed, with the peak memory
(ru_maxrss of the importing process) and its CPU time (user + system: on a machine shared
with other work, wall time says how busy it was as much as how fast desk is), at each size
asked for, so that whether memory grows with the file shows. With `--before REV`, the same
imports by the code of git revision REV too, alternating, in the same run.
Run: python tests/bench/import_bench.py [N ...] [--before REV]"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ("Ticket ID,Customer Name,Customer Email,Customer Age,Customer Gender,Product Purchased,"
          "Date of Purchase,Ticket Type,Ticket Subject,Ticket Description,Ticket Status,Resolution,"
          "Ticket Priority,Ticket Channel,First Response Time,Time to Resolution,Customer Satisfaction Rating")
STATUSES = ["Open", "Closed", "Pending Customer Response"]


def write_csv(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for i in range(1, n + 1):
            status = STATUSES[i % 3]
            solved = f"2023-06-0{1 + i % 8} 18:05:38" if status == "Closed" else ""
            fh.write(f'{i},Customer {i % 20000},c{i % 20000}@example.com,30,Other,Product {i % 40},'
                     f'2021-03-22,Technical issue,Subject {i},"I\'m having an issue with the '
                     f'{{product_purchased}}.\r\nPlease assist.",{status},{"Fixed" if solved else ""},'
                     f'High,Email,2023-06-01 12:15:36,{solved},{3 if solved else ""}\r\n')


def write_zendesk(path: Path, n: int) -> None:
    """A page with n tickets, n / 5 users (as many as the CSV's customers at 100k) and a
    satisfaction rating for each solved ticket, so that both grow with the file."""
    users = max(n // 5, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"users": [')
        fh.write(",".join(json.dumps({"id": u, "name": f"User {u}", "email": f"u{u}@example.com",
                                      "role": "end-user"}) for u in range(users)))
        fh.write('], "tickets": [')
        for i in range(1, n + 1):
            fh.write(("," if i > 1 else "") + json.dumps({
                "id": i, "subject": f"Ticket {i}", "status": ["open", "solved", "pending"][i % 3],
                "priority": "normal", "requester_id": i % users, "created_at": "2024-03-01T10:00:00Z",
                "updated_at": "2024-03-02T10:00:00Z", "via": {"channel": "email"},
                "comments": [{"id": i * 10, "author_id": i % users, "public": True,
                              "html_body": "<p>Help &amp; more</p>", "created_at": "2024-03-01T10:00:00Z"}]}))
        fh.write('], "satisfaction_ratings": [')
        fh.write(",".join(json.dumps({"id": i, "ticket_id": i, "score": "good" if i % 2 else "bad",
                                      "comment": "", "created_at": "2024-03-02T10:00:00Z"})
                          for i in range(1, n + 1) if i % 3 == 1))
        fh.write('], "count": %d}' % n)


def run(fmt: str, path: Path, n: int, *extra: str, code_dir: Path | None = None, label: str = "") -> str:
    env = dict(os.environ, PYTHONPATH=str(code_dir)) if code_dir else None
    with tempfile.TemporaryDirectory() as store:
        start = time.perf_counter()
        code = ("import resource, sys; from tui.cli import main; rc = main(sys.argv[1:]); "
                "ru = resource.getrusage(resource.RUSAGE_SELF); "
                "print('peak_kb', ru.ru_maxrss, ru.ru_utime + ru.ru_stime, file=sys.stderr); "
                "sys.exit(rc)")
        done = subprocess.run([sys.executable, "-c", code, "import", fmt, str(path), "--data-dir", store, *extra],
                              capture_output=True, text=True, env=env, cwd=code_dir)
        took = time.perf_counter() - start
        assert done.returncode == 0, done.stderr[-2000:]
        peak, cpu = next(line.split()[1:] for line in done.stderr.splitlines() if line.startswith("peak_kb"))
        return (f"| {label}{fmt} | {n:,} | {path.stat().st_size / 1e6:.0f} MB | {took:.1f} s | "
                f"{n / took:,.0f} | {float(cpu):.1f} s | {n / float(cpu):,.0f} | {int(peak) // 1024} MB |")


def main() -> None:
    args = sys.argv[1:]
    before = None
    if "--before" in args:
        at = args.index("--before")
        before = args[at + 1]
        del args[at:at + 2]
    sizes = [int(a) for a in args] or [100_000]
    rows = ["| code | format | tickets | file | time | tickets/s | CPU time | tickets/CPU s | peak memory |"
            if before else "| format | tickets | file | time | tickets/s | CPU time | tickets/CPU s | peak memory |",
            "|---|---|---|---|---|---|---|---|---|" if before else "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        codes: list[tuple[str, Path | None]] = [("", None)]
        if before:
            old = Path(tmp) / "before"
            old.mkdir()
            archive = subprocess.run(["git", "archive", before], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            codes = [(f"{before} | ", old), ("this | ", None)]
        for n in sizes:
            csv_path, zd_path = Path(tmp) / f"tickets-{n}.csv", Path(tmp) / f"zendesk-{n}.json"
            write_csv(csv_path, n)
            write_zendesk(zd_path, n)
            for label, code_dir in codes:
                rows.append(run("csv", csv_path, n, "--mapping", "support-dataset",
                                code_dir=code_dir, label=label))
                print(rows[-1], flush=True)
            for label, code_dir in codes:
                rows.append(run("zendesk", zd_path, n, code_dir=code_dir, label=label))
                print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
