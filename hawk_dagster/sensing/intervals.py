"""How often the sensors tick: the latency of the logs → warehouse → marts loop, read from the environment.

| setting | variable | default |
|---|---|---|
| eval log sensor | `HAWK_EVAL_LOG_SENSOR_INTERVAL_SECONDS` | 30 (`make dev`: 10) |
| scan result sensor | `HAWK_SCAN_RESULT_SENSOR_INTERVAL_SECONDS` | 30 (`make dev`: 10) |
| dbt automation sensor | `HAWK_DBT_AUTOMATION_INTERVAL_SECONDS` | 15 |

The values are read when the code location loads (a change needs a reload). The dbt interval is also the
debounce of the marts: imports landing within one interval are built by one `dbt build` (and none starts
while one runs, so imports also gather during a build). 15 s keeps the wait for the next dbt tick short
(7.5 s on average) in the "last log written → rows in the marts" latency (bench/loop_latency.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

EVAL_LOG_SENSOR_INTERVAL_VARIABLE = "HAWK_EVAL_LOG_SENSOR_INTERVAL_SECONDS"
SCAN_RESULT_SENSOR_INTERVAL_VARIABLE = "HAWK_SCAN_RESULT_SENSOR_INTERVAL_SECONDS"
DBT_AUTOMATION_INTERVAL_VARIABLE = "HAWK_DBT_AUTOMATION_INTERVAL_SECONDS"

DEFAULT_EVAL_LOG_SENSOR_INTERVAL_SECONDS = 30
DEFAULT_SCAN_RESULT_SENSOR_INTERVAL_SECONDS = 30
DEFAULT_DBT_AUTOMATION_INTERVAL_SECONDS = 15

# The Dagster daemons loop every 5 s, so a shorter interval would not tick faster; a day bounds typos.
MIN_INTERVAL_SECONDS = 5
MAX_INTERVAL_SECONDS = 86_400


class IntervalSettingError(ValueError):
    """An interval variable holds something other than a whole number of seconds in range."""


def interval_seconds(variable: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """The whole number of seconds in `variable`, `default` when unset or blank."""
    raw = (os.environ if environ is None else environ).get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise IntervalSettingError(
            f"{variable}={raw!r} is not a whole number of seconds (e.g. {variable}={default})"
        ) from None
    if not MIN_INTERVAL_SECONDS <= value <= MAX_INTERVAL_SECONDS:
        raise IntervalSettingError(
            f"{variable}={value} is out of range: use {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS} seconds"
        )
    return value


def eval_log_sensor_interval_seconds(environ: Mapping[str, str] | None = None) -> int:
    return interval_seconds(
        EVAL_LOG_SENSOR_INTERVAL_VARIABLE, DEFAULT_EVAL_LOG_SENSOR_INTERVAL_SECONDS, environ
    )


def scan_result_sensor_interval_seconds(environ: Mapping[str, str] | None = None) -> int:
    return interval_seconds(
        SCAN_RESULT_SENSOR_INTERVAL_VARIABLE, DEFAULT_SCAN_RESULT_SENSOR_INTERVAL_SECONDS, environ
    )


def dbt_automation_interval_seconds(environ: Mapping[str, str] | None = None) -> int:
    return interval_seconds(
        DBT_AUTOMATION_INTERVAL_VARIABLE, DEFAULT_DBT_AUTOMATION_INTERVAL_SECONDS, environ
    )


# `make dev` watches a local folder, which is cheap to list: its log sensors tick faster than a deployment's
# (S3, thousands of folders), so a run's samples reach the marts about a minute after its last log.
DEV_INTERVAL_DEFAULTS: Mapping[str, str] = {
    EVAL_LOG_SENSOR_INTERVAL_VARIABLE: "10",
    SCAN_RESULT_SENSOR_INTERVAL_VARIABLE: "10",
}


def with_dev_interval_defaults(environ: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """`environ` with `make dev`'s intervals wherever the variable is unset or blank (in place; returned)."""
    for variable, value in DEV_INTERVAL_DEFAULTS.items():
        if not environ.get(variable, "").strip():
            environ[variable] = value
    return environ
