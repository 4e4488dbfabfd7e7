"""What a run needs to know about its machine: plain settings, no Dagster (the resources build them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from hawk_dagster.logstore import LogStore, default_log_root
from hawk_dagster.runner.venv import default_venv_cache_dir
from hawk_dagster.secrets import LocalSecretStore, default_secrets_dir


class RunnerSettings(BaseModel):
    """Where runner venvs are cached, where local secret stores live, what relative package paths resolve
    against, and the log root. `None` = the default (environment, else `.hawk/...`, else the cwd)."""

    venv_cache_dir: str | None = Field(default=None, description="Runner venv cache ($HAWK_VENV_CACHE).")
    secrets_dir: str | None = Field(default=None, description="Local secret stores (<HAWK_HOME>/secrets).")
    package_base_dir: str | None = Field(default=None, description="Base of relative package paths (cwd).")
    log_root: str | None = Field(default=None, description="Log root: a folder or s3://... ($HAWK_LOG_ROOT).")

    def venv_cache_path(self) -> Path:
        return Path(self.venv_cache_dir).resolve() if self.venv_cache_dir else default_venv_cache_dir()

    def secret_store(self) -> LocalSecretStore:
        return LocalSecretStore(
            Path(self.secrets_dir).resolve() if self.secrets_dir else default_secrets_dir()
        )

    def package_base_path(self) -> Path:
        return Path(self.package_base_dir).resolve() if self.package_base_dir else Path.cwd()

    def log_store(self) -> LogStore:
        return LogStore.from_root(self.log_root or default_log_root())
