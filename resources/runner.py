"""Runner settings as a Dagster resource: where runner venvs are cached, where local secret stores live."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from hawk_dagster.runs.settings import RunnerSettings


class RunnerResource(dg.ConfigurableResource):
    """Where the run steps build their isolated venvs and find local secret stores."""

    venv_cache_dir: str | None = Field(
        default=None, description="Runner venv cache (default $HAWK_VENV_CACHE or .hawk/venvs)."
    )
    secrets_dir: str | None = Field(default=None, description="Local secret stores (default .hawk/secrets).")
    package_base_dir: str | None = Field(
        default=None, description="Folder that relative package paths resolve against (default: the cwd)."
    )

    def settings(self, log_root: str | None = None) -> RunnerSettings:
        """The plain settings the run steps use (`hawk_dagster.runs.execute.run`)."""
        return RunnerSettings(
            venv_cache_dir=self.venv_cache_dir,
            secrets_dir=self.secrets_dir,
            package_base_dir=self.package_base_dir,
            log_root=log_root,
        )
