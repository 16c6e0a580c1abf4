"""Run every benchmark script of this folder (``make bench``) and print one final table.

    .venv/bin/python bench/run_all.py [--fresh] [--runs N]

Each script (every ``*.py`` here except ``common.py`` and this file) runs in its own process
with the same options and writes its results to a temporary JSON file; the table at the end
collects them. The exit code is non-zero when a script failed (a missed target is reported,
not an error: benchmarks inform, they do not gate).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"common.py", "run_all.py"}


def scripts() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name not in SKIP and not p.name.startswith("_"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench data")
    parser.add_argument("--runs", type=int, help="timed runs per measurement")
    args = parser.parse_args()
    passthrough = (["--fresh"] if args.fresh else []) + (
        ["--runs", str(args.runs)] if args.runs else []
    )
    sys.path.insert(0, str(HERE))
    from common import load_json, print_table

    reports, failures, durations = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for script in scripts():
            out = Path(tmp) / f"{script.stem}.json"
            print(f"\n### {script.name}", flush=True)
            started = time.monotonic()
            code = subprocess.call([sys.executable, str(script), *passthrough, "--json", str(out)])
            durations.append((script.name, time.monotonic() - started, code))
            if code != 0 or not out.exists():
                failures.append(script.name)
                continue
            reports += load_json(str(out))
    if reports:
        print("\n\n汇总 / Summary")
        print_table(reports, machine=False)
    for name, seconds, code in durations:
        print(f"{name}: {seconds:.0f} s, exit {code}")
    if failures:
        print(f"失败的基准脚本：{', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
