"""How long `hawk` verbs take to start, beside a bare interpreter in the same run.

    .venv/bin/python bench/cli_startup.py [--repeat 5]

Prints the median wall time of each command over `--repeat` runs (after one warm-up run), and the
difference to `python -c pass` measured in the same run, so a loaded machine shows as a high baseline.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAWK = str(Path(sys.executable).with_name("hawk"))
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "hawk --help": [HAWK, "--help"],
    "hawk validate FILE": [HAWK, "validate", "examples/simple.eval-set.yaml"],
    "hawk schema eval-set": [HAWK, "schema", "eval-set"],
    "hawk local --help": [HAWK, "local", "--help"],
    "hawk db --help": [HAWK, "db", "--help"],
}


def median_seconds(command: list[str], repeat: int) -> float:
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)  # warm the page cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {name: median_seconds(command, args.repeat) for name, command in COMMANDS.items()}
    baseline = results["python -c pass"]
    print(f"{'command':<24}{'median s':>10}{'- python s':>12}")
    for name, seconds in results.items():
        print(f"{name:<24}{seconds:>10.3f}{seconds - baseline:>12.3f}")


if __name__ == "__main__":
    main()
