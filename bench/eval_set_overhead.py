"""Wall time of the demo eval set through hawk-dagster vs. plain `inspect eval-set`, back to back.

    .venv/bin/python bench/eval_set_overhead.py [--repeat 2]

Both run examples/simple.eval-set.yaml's grid (hawk_examples/arith + arith_tools x hawk-offline/careful
+ sloppy, limit 4, epochs 2) into fresh log folders. The baseline is Inspect's own CLI in the same runner
venv hawk-dagster uses (so both pay the same imports); hawk-dagster's figure is `hawk local eval-set`
as a user runs it: config validation, Dagster run on a local instance, venv lookup, Pipes subprocess
(pre-started by the CLI, so Inspect's imports overlap Dagster's start; see hawk_dagster.runner.prestart).
Both share one DAGSTER_HOME, so only the first hawk run creates the instance's databases.
Prints one row per run, then the medians and the overhead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hawk_dagster.config.loading import load_config_file  # noqa: E402
from hawk_dagster.logstore import LogStore  # noqa: E402
from hawk_dagster.runner.eval_set import EVAL_SET  # noqa: E402
from hawk_dagster.runner.venv import ensure_runner_venv  # noqa: E402

CONFIG = ROOT / "examples" / "simple.eval-set.yaml"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"command failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hawk-bench-"))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(work / "dagster"),
        "HAWK_LOG_ROOT": str(work / "logs"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "INSPECT_DISPLAY": "none",
    }
    loaded = load_config_file(CONFIG)
    prepared = EVAL_SET.prepare(
        loaded.config,
        store=LogStore.from_root(str(work / "logs")),
        job_id="bench",
        created_by="bench",
        cwd=ROOT,
    )
    venv = ensure_runner_venv(prepared.requirements)  # built once, outside the timings
    inspect_cmd = [
        str(venv.path / "bin" / "inspect"),
        "eval-set",
        "hawk_examples/arith",
        "hawk_examples/arith_tools",
        "--model",
        "hawk-offline/careful,hawk-offline/sloppy",
        "-T",
        "n=6",
        "--limit",
        "4",
        "--epochs",
        "2",
        "--display",
        "none",
    ]
    hawk_cmd = [sys.executable, "-m", "hawk_dagster.cli.main", "local", "eval-set", str(CONFIG)]

    rows: list[tuple[str, float]] = []
    for i in range(args.repeat):
        rows.append(("hawk local eval-set", timed(hawk_cmd, env)))
        rows.append(("inspect eval-set", timed([*inspect_cmd, "--log-dir", str(work / f"inspect-{i}")], env)))
    print(f"{'run':<24}{'wall s':>10}")
    for name, seconds in rows:
        print(f"{name:<24}{seconds:>10.1f}")
    hawk_median = statistics.median(s for n, s in rows if n.startswith("hawk"))
    inspect_median = statistics.median(s for n, s in rows if n.startswith("inspect"))
    print(f"\nmedian hawk local eval-set: {hawk_median:.1f} s")
    print(f"median inspect eval-set:    {inspect_median:.1f} s (baseline)")
    print(f"overhead: {hawk_median - inspect_median:+.1f} s ({hawk_median / inspect_median:.2f}x)")


if __name__ == "__main__":
    main()
