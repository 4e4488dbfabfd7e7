"""The code location's local `eval_set` job, module level so the multiprocess executor can rebuild it in
its step processes. Resources come from the environment (HAWK_LOG_ROOT; the cwd is the repository)."""

from __future__ import annotations

import dagster as dg


def local_eval_set_job() -> dg.JobDefinition:
    from hawk_dagster.definitions import run_job_definitions

    return run_job_definitions().resolve_job_def("eval_set")
