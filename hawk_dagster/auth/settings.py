"""Who issues the access tokens the API accepts and the CLI logs in with: the `HAWK_MODEL_ACCESS_TOKEN_*` settings.

No issuer means auth is disabled: local single-user mode. `HAWK_ENV=production` refuses that (`check_mode`).
Endpoint paths are relative to the issuer; left empty, they come from the issuer's OpenID discovery document
(`hawk_dagster.auth.discovery`). This module imports nothing heavy: `hawk --help` and the API's start-up read it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "HAWK_MODEL_ACCESS_TOKEN_"
ISSUER_ENV = f"{ENV_PREFIX}ISSUER"
ENVIRONMENT_ENV = "HAWK_ENV"
DEFAULT_SCOPES = "openid profile email offline_access"
DEFAULT_JWKS_PATH = ".well-known/jwks.json"


class AuthConfigError(ValueError):
    """An auth setting is missing or contradicts another; the message names the env var and the fix."""


class AuthSettings(BaseModel):
    """The token issuer's settings, shared by the API (validation) and the CLI (device-flow login)."""

    model_config = ConfigDict(frozen=True)

    LOCAL_MODE_BANNER: ClassVar[str] = "auth disabled: local single-user mode"

    issuer: str | None = Field(default=None, description=f"{ISSUER_ENV}; empty or unset disables auth.")
    audience: str | None = Field(default=None, description=f"{ENV_PREFIX}AUDIENCE: the API's `aud`.")
    jwks_path: str = Field(
        default="",
        description=f"{ENV_PREFIX}JWKS_PATH, relative to the issuer; empty: discovery's `jwks_uri`, "
        f"else {DEFAULT_JWKS_PATH}.",
    )
    client_id: str | None = Field(default=None, description=f"{ENV_PREFIX}CLIENT_ID: the CLI's OAuth client.")
    scopes: str = Field(default=DEFAULT_SCOPES, description=f"{ENV_PREFIX}SCOPES, space-separated.")
    device_code_path: str = Field(
        default="", description=f"{ENV_PREFIX}DEVICE_CODE_PATH; empty: discovery's device endpoint."
    )
    token_path: str = Field(
        default="", description=f"{ENV_PREFIX}TOKEN_PATH; empty: discovery's token endpoint."
    )
    email_field: str = Field(
        default="email", description=f"{ENV_PREFIX}EMAIL_FIELD: the claim holding the email."
    )
    environment: str | None = Field(default=None, description=f"{ENVIRONMENT_ENV}, e.g. production.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        """Read the settings from `environ` (default `os.environ`); empty values count as unset."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        values: dict[str, str] = {}
        for field, var in (
            ("issuer", "ISSUER"),
            ("audience", "AUDIENCE"),
            ("jwks_path", "JWKS_PATH"),
            ("client_id", "CLIENT_ID"),
            ("scopes", "SCOPES"),
            ("device_code_path", "DEVICE_CODE_PATH"),
            ("token_path", "TOKEN_PATH"),
            ("email_field", "EMAIL_FIELD"),
        ):
            value = get(ENV_PREFIX + var)
            if value is not None:
                values[field] = value
        environment = get(ENVIRONMENT_ENV)
        if environment is not None:
            values["environment"] = environment
        return cls.model_validate(values)

    @property
    def enabled(self) -> bool:
        """True when an issuer is configured: tokens are required and validated."""
        return bool(self.issuer and self.issuer.strip())

    @property
    def production(self) -> bool:
        return (self.environment or "").strip().lower() in {"production", "prod"}

    def check_mode(self) -> None:
        """Refuse local single-user mode in production: there, no issuer is a configuration mistake."""
        if self.production and not self.enabled:
            raise AuthConfigError(
                f"{ISSUER_ENV} is not set but {ENVIRONMENT_ENV}={self.environment}: set it to your OIDC issuer URL "
                f"(auth cannot be disabled in production)"
            )

    def require_enabled(self, purpose: str) -> str:
        """The issuer URL, or AuthConfigError naming what needed it."""
        if not self.enabled or self.issuer is None:
            raise AuthConfigError(f"{ISSUER_ENV} is not set: set it to your OIDC issuer URL to {purpose}")
        return self.issuer.strip()

    def require_audience(self) -> str:
        if not self.audience:
            raise AuthConfigError(
                f"{ENV_PREFIX}AUDIENCE is not set: set it to the API's token audience (the `aud` claim)"
            )
        return self.audience

    def require_client_id(self) -> str:
        if not self.client_id:
            raise AuthConfigError(f"{ENV_PREFIX}CLIENT_ID is not set: set it to the CLI's OAuth client id")
        return self.client_id

    def issuer_url(self, path: str) -> str:
        """`path` relative to the issuer (an absolute URL is kept as is)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.require_enabled("reach the token issuer").rstrip("/") + "/" + path.lstrip("/")
