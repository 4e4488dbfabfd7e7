"""Config models shared by eval sets and scans (Hawk's `hawk/core/types/base.py`, field for field)."""

from __future__ import annotations

import difflib
import functools
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import pydantic
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from hawk_dagster.config.inspect_surface import GENERATE_CONFIG_FIELDS

if TYPE_CHECKING:
    from inspect_ai.model import GenerateConfig

K8S_QUANTITY_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?([numkKMGTPE]i?)?$"
_K8S_QUANTITY_RE = re.compile(K8S_QUANTITY_PATTERN)

BUILTIN_PACKAGE = "inspect-ai"

DEFAULT_RUNNER_RETRIES = 2
MAX_RUNNER_RETRIES = 5
"""`runner.retries` when a config does not say, and its ceiling (the step's Dagster RetryPolicy allows
this many; a run asking for fewer stops earlier)."""
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
"""A Docker/OCI image tag: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'."""
_IMAGE_TAG_RE = re.compile(IMAGE_TAG_PATTERN)

# Error types raised by this package's validators. Their messages already say what to change; the
# loader's error translation relies on these names (see hawk_dagster/config/errors.py).
K8S_QUANTITY_ERROR = "k8s_quantity"
IMAGE_TAG_ERROR = "image_tag"
API_KEY_ERROR = "api_key_forbidden"
GENERATE_CONFIG_ERROR = "generate_config"
INSPECT_AI_PACKAGE_ERROR = "inspect_ai_package"
WHERE_OPERATOR_ERROR = "where_operator"
DUPLICATE_SCANNER_KEY_ERROR = "duplicate_scanner_key"
SHARDS_ERROR = "runner_shards"
CUSTOM_ERROR_TYPES = frozenset(
    {
        SHARDS_ERROR,
        K8S_QUANTITY_ERROR,
        IMAGE_TAG_ERROR,
        API_KEY_ERROR,
        GENERATE_CONFIG_ERROR,
        INSPECT_AI_PACKAGE_ERROR,
        WHERE_OPERATOR_ERROR,
        DUPLICATE_SCANNER_KEY_ERROR,
    }
)


def config_problem(error_type: str, message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (braces in it are not template fields)."""
    return PydanticCustomError(error_type, "{message}", {"message": message})


class JobType(StrEnum):
    EVAL_SET = "eval-set"
    SCAN = "scan"
    SCAN_RESUME = "scan-resume"


class SecretConfig(BaseModel):
    """A secret the job needs, read from the user's environment or a dotenv file at submit time."""

    name: str = Field(description="Name of the environment variable that holds the secret.")
    description: str | None = Field(
        default=None, description="What the secret is for; shown when the secret is missing."
    )


def secrets_field() -> Any:
    """`Field` of a list of required secrets (Hawk's `SecretsField`), defaulting to no secrets."""
    return Field(default=[], description="Secrets (environment variables) the job needs.")


@functools.cache
def generate_config_forbidding_extras() -> type[BaseModel]:
    from inspect_ai.model import GenerateConfig

    class GenerateConfigWithExtraForbid(GenerateConfig, extra="forbid"):
        pass

    return GenerateConfigWithExtraForbid


def generate_config_field_names() -> frozenset[str]:
    """Names of the fields of inspect_ai's `GenerateConfig` (from the generated `inspect_surface`)."""
    return GENERATE_CONFIG_FIELDS


def _describe_generate_config_error(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _validate_raw_config(raw_config: dict[str, Any] | None) -> dict[str, Any] | None:
    if raw_config is None:
        return None
    known = generate_config_field_names()
    unknown = [str(key) for key in raw_config if key not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        suggestion = f"did you mean '{close[0]}'? " if close else ""
        raise config_problem(
            GENERATE_CONFIG_ERROR,
            f"'{unknown[0]}' is not a GenerateConfig setting ({suggestion}provider-specific options go "
            "under extra_body; other get_model() arguments go one level up, next to config)",
        )
    try:
        generate_config_forbidding_extras().model_validate(raw_config)
    except pydantic.ValidationError as exc:
        problems = "; ".join(_describe_generate_config_error(error) for error in exc.errors())
        raise config_problem(
            GENERATE_CONFIG_ERROR, f"invalid GenerateConfig: {problems} (see inspect_ai's GenerateConfig)"
        ) from None
    return raw_config


class GetModelArgs(BaseModel, extra="allow", serialize_by_alias=True):
    """Arguments for Inspect's `get_model()`; extra keys are passed to `get_model()` as model args."""

    role: str | None = Field(
        default=None,
        description="Optional named role for the model (e.g. for roles specified at the task or eval level).",
    )
    default: str | None = Field(
        default=None,
        description="Fallback model name used when the role has not been specified externally.",
    )
    raw_config: Annotated[dict[str, Any] | None, AfterValidator(_validate_raw_config)] = Field(
        default=None,
        alias="config",
        description="Generation settings, validated as inspect_ai's GenerateConfig (unknown keys are errors).",
    )
    base_url: str | None = Field(default=None, description="Optional base URL for the model API.")
    api_key: None = Field(
        default=None,
        description="Must stay unset: Hawk never accepts API keys in configs, because configs are stored and logged.",
    )
    memoize: bool = Field(
        default=True,
        description="Reuse a cached model instance for the same name, config and args.",
    )

    @pydantic.field_validator("api_key", mode="before")
    @classmethod
    def _reject_api_key(cls, value: Any) -> None:
        if value is not None:
            raise config_problem(
                API_KEY_ERROR,
                "api_key is not allowed in a config because configs are stored and logged "
                "(remove it and pass the key as a secret, e.g. OPENAI_API_KEY in runner.secrets)",
            )
        return None

    @property
    def parsed_config(self) -> GenerateConfig | None:
        """`config` as an inspect_ai `GenerateConfig`, or None when unset."""
        if self.raw_config is None:
            return None
        from inspect_ai.model import GenerateConfig

        return GenerateConfig.model_validate(self.raw_config)


class ModelConfig(BaseModel):
    """A model to evaluate with (or scan with)."""

    name: str = Field(description="Model name as Inspect expects it, e.g. 'openai/gpt-4o'.")
    args: GetModelArgs | None = Field(default=None, description="Arguments for Inspect's get_model().")


def validate_package(value: str) -> str:
    """Reject package specs that point at inspect-ai: built-ins use the `package: inspect-ai` form."""
    if "inspect-ai" in value or "inspect_ai" in value:
        raise config_problem(
            INSPECT_AI_PACKAGE_ERROR,
            f"package '{value}' refers to inspect-ai, which hawk installs itself "
            "(to use Inspect's built-in solvers, agents or models, set `package: inspect-ai` exactly, "
            "with no version or URL, and remove `name`; tasks cannot come from inspect-ai)",
        )
    return value


class RegistryItemConfig(BaseModel):
    """An item (task, solver, agent, scanner) registered in an Inspect registry."""

    name: str = Field(description="Name of the item in the package's Inspect registry.")
    args: dict[str, Any] | None = Field(default=None, description="Keyword arguments for the item.")


T = TypeVar("T", bound=ModelConfig | RegistryItemConfig)


class BuiltinConfig(BaseModel, Generic[T]):
    """Items built into inspect-ai itself (no package to install)."""

    package: Literal["inspect-ai"] = Field(description="The literal string 'inspect-ai'.")
    items: list[T] = Field(description="Items to use from inspect-ai.")


class PackageConfig(BaseModel, Generic[T]):
    """Items that come from a Python package installed into the job's environment."""

    package: Annotated[str, AfterValidator(validate_package)] = Field(
        description="pip requirement for the package: a PEP 508 spec, git URL or path. Not inspect-ai."
    )
    name: str = Field(description="Name of the package's setuptools entry point for inspect_ai.")
    items: list[T] = Field(description="Items to use from the package.")


def _check_k8s_quantity(field_name: str, value: str | None) -> str | None:
    if value is None or _K8S_QUANTITY_RE.fullmatch(value):
        return value
    hint = "8Gi or 512Mi" if field_name == "memory" else "2, 500m or 1.5"
    raise config_problem(
        K8S_QUANTITY_ERROR, f"runner.{field_name} {value!r} is not a Kubernetes quantity: use e.g. {hint}"
    )


def check_image_tag(value: str | None) -> str | None:
    """`value` if it is a valid image tag (or None); an empty or malformed tag is refused before launch.
    Whether the tag exists in the registry is not checked here (no registry call at submit time)."""
    if value is None or _IMAGE_TAG_RE.fullmatch(value):
        return value
    raise config_problem(
        IMAGE_TAG_ERROR,
        f"runner.image_tag {value!r} is not an image tag: use at most 128 letters, digits, '_', '.' "
        "and '-', not starting with '.' or '-' (e.g. 0.4.1 or sha-3f2a9c1)",
    )


AUTO_SHARDS = "auto"
AUTO_SHARDS_CAP = 8
"""`runner.shards: auto` runs one shard per task x model cell, at most this many shards."""


class RunnerConfig(BaseModel):
    """Settings of the runner (the process that calls Inspect)."""

    image_tag: str | None = Field(
        default=None,
        description="Runner image tag; overrides the --image-tag option. In a cluster the step pod runs "
        "<the deployment's runner image repository>:<tag> (HAWK_K8S_RUNNER_IMAGE_REPOSITORY).",
    )
    retries: int = Field(
        default=DEFAULT_RUNNER_RETRIES,
        ge=0,
        le=MAX_RUNNER_RETRIES,
        description="How many times a runner that dies (killed, out of memory, pod lost) is started again; "
        "each retry resumes the same log directory, so finished samples are not redone.",
    )
    memory: str | None = Field(
        default=None,
        description="Memory limit of the runner as a Kubernetes quantity, e.g. '16Gi' (not '16GB').",
    )
    cpu: str | None = Field(
        default=None, description="CPU limit of the runner as a Kubernetes quantity, e.g. '2' or '500m'."
    )
    secrets: list[SecretConfig] = secrets_field()
    environment: dict[str, str] = Field(
        default={},
        description="Non-sensitive environment variables for the runner (sent along with the secrets).",
    )
    shards: int | Literal["auto"] = Field(
        default=1,
        description="Eval sets only: split the task x model grid into this many shards, each its own step "
        "(its own pod in a cluster), all writing into the one eval-set folder; 'auto': one shard per task x "
        f"model cell, at most {AUTO_SHARDS_CAP}. Never more shards than cells. 1 (default): one step.",
    )

    @pydantic.field_validator("shards", mode="before")
    @classmethod
    def _check_shards(cls, value: Any) -> int | str:
        if value == AUTO_SHARDS:
            return AUTO_SHARDS
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        raise config_problem(
            SHARDS_ERROR, f"must be a whole number >= 1 or 'auto', got {value!r} (e.g. shards: 4)"
        )

    @pydantic.field_validator("memory", "cpu", mode="after")
    @classmethod
    def _validate_quantity(cls, value: str | None, info: pydantic.ValidationInfo) -> str | None:
        return _check_k8s_quantity(str(info.field_name), value)

    @pydantic.field_validator("image_tag", mode="after")
    @classmethod
    def _validate_image_tag(cls, value: str | None) -> str | None:
        return check_image_tag(value)


def _default_runner() -> RunnerConfig:
    return RunnerConfig()


class UserConfig(BaseModel):
    """Fields common to eval-set and scan configs."""

    tags: list[str] | None = Field(default=None, description="Tags added to every log.")
    metadata: dict[str, Any] | None = Field(default=None, description="Metadata added to every log.")
    runner: RunnerConfig = Field(default_factory=_default_runner, description="Runner settings.")


class InfraConfig(BaseModel):
    """Added by the platform for each job; never user-supplied."""

    job_id: str
    created_by: str
    email: str
    model_groups: list[str]


def qualified_name(
    package_config: PackageConfig[Any] | BuiltinConfig[Any],
    item: ModelConfig | RegistryItemConfig,
) -> str:
    """Registry name of `item`: `<package.name>/<item.name>`, or bare `item.name` for builtin inspect-ai."""
    if isinstance(package_config, BuiltinConfig):
        return item.name
    return f"{package_config.name}/{item.name}"
