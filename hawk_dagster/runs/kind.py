"""What a kind of run is: its names, where its logs go, its config model, its runner spec and entry script,
how its summary is read and shown. Eval sets and scans are two `RunKind` instances (`runs.kinds`).

Everything here is plain Python (no Dagster): the job step, the CLI and the unit tests share it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Protocol, Self, TypeVar

from pydantic import BaseModel

from hawk_dagster.config.base import RunnerConfig, SecretConfig
from hawk_dagster.config.ids import generate_job_id, validate_job_id
from hawk_dagster.config.loading import ConfigKind
from hawk_dagster.logstore import LogStore
from hawk_dagster.runner.venv import PackageInstallError, runner_requirements
from hawk_dagster.secrets import missing_secrets, missing_secrets_message

if TYPE_CHECKING:
    from hawk_dagster.runs.shards import ShardSpec

RUNNER_DIR = Path(__file__).resolve().parents[1] / "runner"


class RunError(RuntimeError):
    """A user-caused problem that stops a run; the message is one line with the fix."""


class RunConfig(Protocol):
    """What every kind's config offers (EvalSetConfig, ScanConfig)."""

    @property
    def runner(self) -> RunnerConfig: ...

    def get_secrets(self) -> list[SecretConfig]: ...


class OutcomeLabels(NamedTuple):
    id_field: str
    """The outcome's field holding the run's id (`eval_set_id`, `scan_run_id`)."""
    location_field: str
    """The outcome's field holding the run's output folder (`log_dir`, `results_dir`)."""
    location_label: str
    """How the CLI names the output folder: `Logs`, `Results`."""
    records_name: str
    """The run metadata table's name: `logs`, `scanners`."""


class RunOutcome(BaseModel):
    """A finished run as its kind reads the runner's summary; dumped, it is the op's output."""

    labels: ClassVar[OutcomeLabels]

    @classmethod
    def from_summary(cls, prepared: PreparedRun, summary: Mapping[str, Any], store: LogStore) -> Self:
        """The outcome from the entry script's summary message."""
        raise NotImplementedError

    @property
    def job_id(self) -> str:
        return str(getattr(self, self.labels.id_field))

    @property
    def location(self) -> str:
        return str(getattr(self, self.labels.location_field))

    def table(self) -> str:
        """The results table (terminal and run metadata)."""
        raise NotImplementedError

    def records(self) -> list[dict[str, str | int]]:
        """One row per result, for the run's metadata table."""
        raise NotImplementedError

    def facts(self) -> dict[str, str | int]:
        """Headline values for the run's metadata (id, output folder, counts)."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """What the run's output folder holds, counted (e.g. `samples`): log-store asset metadata."""
        return {}

    @classmethod
    def merge(cls, outcomes: list[Self]) -> Self:
        """One outcome from the outcomes of a run's shards (kinds that shard: see `RunKind.shard_plan`)."""
        raise NotImplementedError

    def failure(self) -> str | None:
        """One line saying why the run failed, or None when it succeeded."""
        return None

    def warnings(self) -> list[str]:
        """What the user should see although the run succeeded."""
        return []


OutcomeT = TypeVar("OutcomeT", bound=RunOutcome)


@dataclass(frozen=True)
class SpecRequest:
    """What a kind needs to build its runner spec (after the id is resolved, before anything is written)."""

    config: Any
    store: LogStore
    job_id: str
    location: str
    created_by: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class BuiltSpec:
    spec: BaseModel
    """The JSON document the entry script reads (never secrets)."""
    runs: str
    """What will run, for the run log's line `<kind> <id>: <runs> -> <output folder>`."""
    models: list[str]
    """Every model the run may call, qualified (for `.models.json`)."""


@dataclass(frozen=True)
class PreparedRun:
    """A validated run: id, output folder, spec and venv requirements. Nothing is written yet."""

    config: Any
    config_data: dict[str, Any]
    job_id: str
    location: str
    spec: BaseModel
    requirements: list[str]
    models: list[str]
    description: str


def default_created_by() -> str:
    return os.environ.get("HAWK_USER") or os.environ.get("USER") or "local"


@dataclass(frozen=True)
class RunNames:
    """How a kind is named everywhere: config, CLI, op config, run tag, log store, messages."""

    name: ConfigKind
    """The config kind, the CLI's word and the Kubernetes job type: `eval-set`, `scan`."""
    label: str
    """How the CLI names a run's id: `Eval set` -> `Eval set ID: <id>`."""
    config_key: str
    """The op config field holding the user's YAML (`ops.run_<config_key>.config.<config_key>`); it also
    names the job (`<config_key>`), the op (`run_<config_key>`) and the entry script."""
    id_key: str
    """The op config field holding the run's id: `eval_set_id`, `scan_run_id`."""
    id_tag: str
    log_prefix: str
    """The log-store prefix of this kind's folders: `evals`, `scans`."""
    tool: str
    """`Inspect`, `Scout`: named in failure messages."""
    job_type_name: str | None = None
    """The Kubernetes job type and launch-grant kind when it is not `name` (`scan-resume`, which runs a
    saved `scan` config)."""

    @property
    def job_name(self) -> str:
        return self.config_key

    @property
    def op_name(self) -> str:
        return f"run_{self.config_key}"

    @property
    def job_type(self) -> str:
        return self.job_type_name or self.name


@dataclass(frozen=True)
class RunKind(Generic[OutcomeT]):
    """One kind of run. A new kind (sample edits, scan resume) is one more instance: its `RunNames`, an
    outcome class (`RunOutcome`), a `build_spec` (config -> the JSON spec of `runner/entry_<config_key>.py`),
    its config model in `hawk_dagster.config.loading`, and a job module of a few lines (`jobs/`)."""

    names: RunNames
    runtime_dists: tuple[str, ...]
    """Distributions pinned in the runner venv to the versions installed here."""
    outcome_type: type[OutcomeT]
    """Reads the runner's summary (`from_summary`) and shows the outcome."""
    build_spec: Callable[[SpecRequest], BuiltSpec]
    config_id: Callable[[Any], str | None] = lambda _config: None
    """The id the config itself asks for (eval sets: `eval_set_id`), used when the launcher gives none."""
    check_sources: Callable[[Any, LogStore], object] | None = None
    """Checks inputs that must already be in the log store (scans: the source eval sets)."""
    requires_id: bool = False
    """The run continues an existing one (scan resume): its id must be given, never generated."""
    cluster_dists: tuple[str, ...] = ()
    """Also pinned in the runner venv when steps run in the cluster (eval sets: the k8s sandbox)."""
    shard_plan: Callable[[PreparedRun], Sequence[ShardSpec]] | None = None
    """A kind whose runs may split across steps (eval sets, `runner.shards`): the shards of a prepared run
    (one: the run is not split). Its job fans out one shard step each (`jobs.step`)."""
    finish_shards: Callable[[LogStore, str, int], object] | None = None
    """After every shard succeeded: `(store, job_id, shard count)` completes the run's folder (eval sets:
    the whole grid's `eval-set.json`)."""

    @property
    def shard_op_name(self) -> str:
        """The op of one shard step (`run_eval_set_shard`)."""
        return f"{self.names.op_name}_shard"

    @property
    def finish_op_name(self) -> str:
        """The op after every shard (`finish_eval_set`)."""
        return f"finish_{self.names.config_key}"

    @property
    def step_op_names(self) -> list[str]:
        """Every op of the kind's job: the first step, and the shard and finish steps of a kind that shards."""
        if self.shard_plan is None:
            return [self.names.op_name]
        return [self.names.op_name, self.shard_op_name, self.finish_op_name]

    @property
    def entry_script(self) -> Path:
        """`hawk_dagster/runner/entry_<config_key>.py`, run by path in the runner venv."""
        return RUNNER_DIR / f"entry_{self.names.config_key}.py"

    def resolve_job_id(self, config: Any, override: str | None) -> str:
        """The launcher's id, else the config's, else `<name[:26]>-<16 random>` (default label: the kind)."""
        chosen = override or self.config_id(config)
        if chosen:
            try:
                return validate_job_id(chosen)
            except ValueError as exc:
                raise RunError(f"{self.names.id_key}: {exc}") from None
        if self.requires_id:
            raise RunError(
                f"{self.names.id_key} is required: give the id of the run to {self.names.job_type}"
            )
        return generate_job_id(config.name, default=self.names.name)

    def required_secrets(self, config: RunConfig) -> list[str]:
        return sorted({secret.name for secret in config.get_secrets()})

    def check_required_secrets(self, config: RunConfig, available: Mapping[str, str]) -> None:
        missing = missing_secrets(self.required_secrets(config), [k for k, v in available.items() if v])
        if missing:
            raise RunError(missing_secrets_message(missing))

    def run_environment(self, config: RunConfig, secrets: Mapping[str, str]) -> dict[str, str]:
        """Environment of the runner process: secrets, then `runner.environment` (which wins, as in Hawk)."""
        env = {**secrets, **config.runner.environment}
        env.setdefault("INSPECT_DISPLAY", "log")
        return env

    def requirements(self, config: Any, cwd: Path) -> list[str]:
        """The runner venv's requirements: the config's packages (local paths against `cwd`), our runtime."""
        try:
            from hawk_dagster.k8s.executor import executor_kind_from_env

            dists = self.runtime_dists + (self.cluster_dists if executor_kind_from_env() == "k8s" else ())
            return runner_requirements(config.packages_to_install(), cwd, dists)
        except PackageInstallError as exc:  # a local package path that does not exist
            raise RunError(str(exc)) from None
        except PackageNotFoundError as exc:  # an image built without the `cluster` extra
            raise RunError(
                f"{exc.name} is not installed here: build the image with `uv sync --extra cluster` (deploy/Dockerfile)"
            ) from None

    def prepare(
        self,
        config: Any,
        *,
        store: LogStore,
        job_id: str | None,
        created_by: str,
        cwd: Path | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> PreparedRun:
        """Resolve the id, check the inputs, build the spec and the venv requirements; write nothing."""
        resolved = self.resolve_job_id(config, job_id)
        location = store.uri(self.names.log_prefix, resolved)
        if self.check_sources is not None:
            self.check_sources(config, store)
        request = SpecRequest(config, store, resolved, location, created_by, dict(options or {}))
        try:
            built = self.build_spec(request)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        requirements = self.requirements(config, cwd or Path.cwd())
        return PreparedRun(
            config=config,
            config_data=config.model_dump(mode="json", exclude_unset=True, by_alias=True),
            job_id=resolved,
            location=location,
            spec=built.spec,
            requirements=requirements,
            models=built.models,
            description=f"{self.names.name.replace('-', ' ')} {resolved}: {built.runs} -> {location}",
        )

    def write_spec_file(self, prepared: PreparedRun, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{prepared.job_id}.{self.names.name}.spec.json"
        path.write_text(prepared.spec.model_dump_json(indent=2))
        return path

    def outcome(self, prepared: PreparedRun, summary: Mapping[str, Any] | None, store: LogStore) -> OutcomeT:
        if summary is None:
            raise RunError(
                f"the {self.names.tool} runner finished without reporting results (see the step's stderr)"
            )
        return self.outcome_type.from_summary(prepared, summary, store)

    def outcome_from_output(self, output: Mapping[str, Any]) -> OutcomeT:
        """The outcome again from the op's output (`outcome.model_dump()`)."""
        return self.outcome_type.model_validate(output)
