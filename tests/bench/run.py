"""The benchmark suite's one command: `python tests/bench/run.py [--sizes 1k,10k,100k]`.

Runs bench_ui.py (which reuses bench_store.py's writers) and writes tests/bench/RESULTS.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ui import main  # noqa: E402

if __name__ == "__main__":
    main()
