"""Wall time of a 16-task offline eval set split into 1, 2 and 4 shards, and each runner's peak RSS.

    .venv/bin/python bench/shard_bench.py            # 16 tasks x 16+ samples, 4 padded rounds
    .venv/bin/python bench/shard_bench.py --quick    # 16 tasks x 8+ samples, 2 padded rounds
    .venv/bin/python bench/shard_bench.py --rounds 2 # each configuration twice, alternating order

Every configuration runs the code location's real `eval_set` job (`runner.shards: 1 | 2 | 4`) through
Dagster's multiprocess executor on one local instance, in the same process and back to back (with
`--rounds 2` or more, rounds alternate the order, so machine load hits each alike); each run writes a fresh eval-set folder. The grid
is 16 `hawk_examples/bench_wide` tasks (distinct seeds) on `hawk-offline/careful`: arithmetic with a tool
call, then padded follow-up rounds, so a runner spends its time in Inspect (solving, scoring, writing the
log), not waiting. The runner venv is built before the timings.

Wall time is the run's, from launch to its end (planning, venv lookup, runner start-up, Inspect, the
finish step). Peak RSS is each runner process's `VmHWM` (the Inspect subprocess of a step), read from
/proc by a poller every 0.1 s; the unsplit run's one runner is the baseline.

Target: each shard's runner peaks below the unsplit runner, and lower with more shards (a big eval set
no longer needs one pod sized for the whole grid: Hawk's most reported failure is that pod running out of
memory). Wall time is reported with the free cores at the start, not targeted: a shard pays a runner
start-up and its own steps, which only spare cores repay (in a cluster each shard has its own node's; on
this 2-core machine, shared with other work, two shards were slower than one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

SHARD_COUNTS = (1, 2, 4)
RUNNER_SCRIPT = "entry_eval_set.py"


def bench_eval_set_job() -> dg.JobDefinition:
    """The code location's `eval_set` job (rebuilt by name in each step process)."""
    from hawk_dagster.definitions import run_job_definitions

    return run_job_definitions().resolve_job_def("eval_set")


def grid(tasks: int, samples: int, rounds: int, shards: int) -> dict[str, Any]:
    items = [
        {"name": "bench_wide", "args": {"n": samples + i, "rounds": rounds, "payload_chars": 800}}
        for i in range(tasks)
    ]
    return {
        "tasks": [{"package": "./examples/hawk-examples", "name": "hawk_examples", "items": items}],
        "models": [
            {"package": "./examples/hawk-examples", "name": "hawk-offline", "items": [{"name": "careful"}]}
        ],
        "runner": {"shards": shards},
    }


class RunnerPeaks:
    """Polls /proc for this bench's runner processes (`entry_eval_set.py` descending from this process,
    not the runners' own children; other runs on the machine are left out) and keeps each one's highest
    VmHWM (MB)."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._root = os.getpid()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> RunnerPeaks:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                    if RUNNER_SCRIPT.encode() not in cmdline:
                        continue
                    status = Path(f"/proc/{entry}/status").read_text()
                    ancestors = _ancestors(int(entry))
                    if self._root not in ancestors:
                        continue  # another run on this machine
                    if any(
                        RUNNER_SCRIPT.encode() in Path(f"/proc/{p}/cmdline").read_bytes() for p in ancestors
                    ):
                        continue  # a child of a runner (its resource tracker, a subprocess): not a runner
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        mb = int(line.split()[1]) / 1024
                        self.peaks[int(entry)] = max(self.peaks.get(int(entry), 0.0), mb)
            self._stop.wait(0.1)


def _ancestors(pid: int) -> list[int]:
    found: list[int] = []
    while pid > 1:
        status = Path(f"/proc/{pid}/status").read_text()
        pid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        found.append(pid)
    return found


def run_once(
    instance: dg.DagsterInstance, config: dict[str, Any], eval_set_id: str
) -> tuple[float, list[float]]:
    from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP

    run_config = {
        "ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": config, "eval_set_id": eval_set_id}}},
        "execution": {"config": {"multiprocess": {}}},
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    job = dg.build_reconstructable_job("bench.shard_bench", "bench_eval_set_job")
    with RunnerPeaks() as peaks:
        started = time.perf_counter()
        result = dg.execute_job(job, instance=instance, run_config=run_config, raise_on_error=False)
        elapsed = time.perf_counter() - started
    if not result.success:
        failures = [e.message for e in result.all_events if e.is_step_failure]
        sys.exit(f"run {eval_set_id} failed: {failures[:2]}")
    return elapsed, sorted(peaks.peaks.values(), reverse=True)


def warm_venv(config: dict[str, Any], log_root: Path) -> None:
    from hawk_dagster.config.loading import validate_config_data
    from hawk_dagster.logstore import LogStore
    from hawk_dagster.runner.eval_set import EVAL_SET
    from hawk_dagster.runner.venv import ensure_runner_venv

    loaded = validate_config_data(config, kind="eval-set")
    prepared = EVAL_SET.prepare(
        loaded.config, store=LogStore.from_root(str(log_root)), job_id="warm", created_by="bench", cwd=ROOT
    )
    ensure_runner_venv(prepared.requirements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 tasks x 8 samples, one round")
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--samples", type=int, default=None, help="samples per task (default 16; quick 8)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of each configuration (default 1)")
    args = parser.parse_args()
    samples = args.samples or (8 if args.quick else 16)
    rounds = args.rounds or 1
    padded_rounds = 2 if args.quick else 4

    work = Path(tempfile.mkdtemp(prefix="hawk-shard-bench-"))
    (work / "dagster").mkdir()
    os.environ.update(
        {
            "HAWK_LOG_ROOT": str(work / "logs"),
            "HAWK_EXECUTOR": "in_process",  # the deployment's choice; the run config asks for multiprocess
            "INSPECT_DISPLAY": "none",
            "DAGSTER_HOME": str(work / "dagster"),
        }
    )
    os.chdir(ROOT)
    warm_venv(grid(args.tasks, samples, padded_rounds, 1), work / "logs")
    times: dict[int, list[float]] = {n: [] for n in SHARD_COUNTS}
    peaks: dict[int, list[float]] = {n: [] for n in SHARD_COUNTS}
    load_before = os.getloadavg()
    with dg.instance_for_test(temp_dir=str(work / "dagster")) as instance:
        for round_index in range(rounds):
            order = SHARD_COUNTS if round_index % 2 == 0 else tuple(reversed(SHARD_COUNTS))
            for shards in order:
                eval_set_id = f"bench-{shards}-shards-{round_index}"
                config = grid(args.tasks, samples, padded_rounds, shards)
                elapsed, runner_peaks = run_once(instance, config, eval_set_id)
                times[shards].append(elapsed)
                peaks[shards].extend(runner_peaks)
                print(
                    f"round {round_index + 1}: {shards} shard(s): {elapsed:6.1f} s, runner peaks "
                    + ", ".join(f"{p:.0f}" for p in runner_peaks)
                    + " MB",
                    flush=True,
                )
    load_after = os.getloadavg()

    print()
    print(
        f"grid: {args.tasks} tasks x {samples}+ samples (bench_wide, {padded_rounds} padded rounds) on hawk-offline/careful"
    )
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{'shards':>6}  {'wall s (median)':>15}  {'vs 1 shard':>10}  {'runners':>7}  {'peak RSS per runner MB (max / median)':>38}"
    )
    base = statistics.median(times[1])
    for shards in SHARD_COUNTS:
        median = statistics.median(times[shards])
        per_run = len(peaks[shards]) // rounds
        print(
            f"{shards:>6}  {median:>15.1f}  {base / median:>9.2f}x  {per_run:>7}  "
            f"{max(peaks[shards]):>18.0f} / {statistics.median(peaks[shards]):.0f}"
        )
    two_wall = statistics.median(times[2])
    free_cores = (os.cpu_count() or 1) - load_before[0]
    print(
        f"wall time, reported: 2 shards take {two_wall / base:.2f}x the unsplit run's time "
        f"({two_wall:.1f} s vs {base:.1f} s) with {free_cores:.1f} free core(s) at the start; a shard pays a runner "
        "start-up and its own steps, which only spare cores (a cluster's nodes) repay"
    )
    two_smaller = max(peaks[2]) < max(peaks[1])
    four_smaller = max(peaks[4]) < max(peaks[2])
    verdict = "PASS" if two_smaller and four_smaller else "FAIL"
    print(
        f"target: each shard's runner peaks below the unsplit runner, and lower with more shards "
        f"(1: {max(peaks[1]):.0f} MB, 2: {max(peaks[2]):.0f} MB, 4: {max(peaks[4]):.0f} MB): {verdict}"
    )


if __name__ == "__main__":
    main()
