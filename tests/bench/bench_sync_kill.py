"""Kill a real `desk sync` (client, far side or both, SIGKILL) at random instants, then run it
again: how many trials converged (every message and event once, nothing left to push), and
where the kills landed. Run: .venv/bin/python tests/bench/bench_sync_kill.py [TRIALS]"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.core.sync.killing import calibrate, trial  # noqa: E402

CHANGES, TICKETS = 400, 50  # a sync long enough for kills to land inside it


def main(trials: int = 50) -> int:
    landed: Counter[str] = Counter()
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        window = calibrate(Path(tmp) / "calibration", CHANGES, TICKETS)
        print(f"kills aimed between {window[0]:.2f} s and {window[1]:.2f} s after the start")
        for seed in range(trials):
            victim, where, problems = trial(Path(tmp) / str(seed), seed, CHANGES, TICKETS, window)
            landed[f"{victim}/{where}"] += 1
            if problems:
                failed.append((seed, victim, where, problems))
    print(f"{trials - len(failed)} of {trials} killed syncs converged after a re-run")
    print("kills (who/where): " + ", ".join(f"{k} {v}" for k, v in sorted(landed.items())))
    for seed, victim, where, problems in failed:
        print(f"  seed {seed} ({victim}/{where}): {'; '.join(problems)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
