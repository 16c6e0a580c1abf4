"""`make run`: the web server and the job worker together; Ctrl-C (or either exiting) stops both."""

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    manage = [sys.executable, str(ROOT / "manage.py")]
    procs = [
        subprocess.Popen([*manage, "run_worker"], cwd=ROOT),
        subprocess.Popen(
            [*manage, "runserver", "--noreload", f"{args.host}:{args.port}"], cwd=ROOT
        ),
    ]
    print(f"salesflow: http://{args.host}:{args.port}/  (Ctrl-C stops the web server and worker)")

    def stop(*_):
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop()
        deadline = time.time() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
    return max((proc.returncode or 0) for proc in procs)


if __name__ == "__main__":
    sys.exit(main())
