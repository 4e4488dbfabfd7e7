"""The API's settings, from the environment: where it listens, the Dagster webserver it launches on, the
warehouse holding the model-group registry, the log root, and the token issuer (`AuthSettings`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.logstore.base import default_log_root
from hawk_dagster.runs.launch import DEFAULT_DAGSTER_URL

ENV_PREFIX = "HAWK_API_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = Field(default=DEFAULT_HOST, description="HAWK_API_HOST: the address `hawk serve` binds.")
    port: int = Field(default=DEFAULT_PORT, description="HAWK_API_PORT: the port `hawk serve` binds.")
    dagster_url: str = Field(
        default=DEFAULT_DAGSTER_URL, description="HAWK_DAGSTER_URL: the (internal) Dagster webserver."
    )
    dagster_public_url: str | None = Field(
        default=None,
        description="HAWK_API_DAGSTER_PUBLIC_URL: the base of the run links returned to users "
        "(e.g. the API's /dagster proxy); default HAWK_DAGSTER_URL.",
    )
    database_url: str | None = Field(
        default=None, description="HAWK_DATABASE_URL: the warehouse holding the model-group registry."
    )
    log_root: str = Field(description="HAWK_LOG_ROOT: where eval sets and scans keep their folders.")
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        values: dict[str, object] = {
            "log_root": get("HAWK_LOG_ROOT") or default_log_root(),
            "auth": AuthSettings.from_env(env),
        }
        for field, name in (
            ("host", f"{ENV_PREFIX}HOST"),
            ("port", f"{ENV_PREFIX}PORT"),
            ("dagster_public_url", f"{ENV_PREFIX}DAGSTER_PUBLIC_URL"),
            ("dagster_url", "HAWK_DAGSTER_URL"),
            ("database_url", "HAWK_DATABASE_URL"),
        ):
            value = get(name)
            if value is not None:
                values[field] = value
        return cls.model_validate(values)

    @property
    def run_link_base(self) -> str:
        return (self.dagster_public_url or self.dagster_url).rstrip("/")
