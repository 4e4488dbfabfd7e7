"""The CLI's stored login: access/refresh/id tokens in a 0600 JSON file under the user's config dir.

`valid_access_token` is what API-calling verbs use: the stored access token while it is fresh, else a refreshed
one (the file is rewritten), else `LoginRequired`. The file is `$XDG_CONFIG_HOME/hawk-dagster/tokens.json`
(else `~/.config/hawk-dagster/tokens.json`). A refresh that cannot reach the issuer raises
`hawk_dagster.auth.discovery.IssuerUnavailable`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.user_dirs import user_config_dir

EXPIRY_MARGIN_SECONDS = 60  # refresh a little early: the token must still be valid when the API reads it
LOGIN_HINT = "run `hawk login`"


class LoginRequired(RuntimeError):
    """No usable login: the message says why and to run `hawk login`."""


class StoredTokens(BaseModel):
    """The token file's content."""

    model_config = ConfigDict(extra="ignore")

    issuer: str
    access_token: str
    refresh_token: str | None = None
    id_token: str | None = None
    expires_at: float | None = None

    def expired(self, now: float | None = None) -> bool:
        expires_at = self.expires_at if self.expires_at is not None else unverified_expiry(self.access_token)
        if expires_at is None:
            return False
        return (now if now is not None else time.time()) >= expires_at - EXPIRY_MARGIN_SECONDS


def unverified_expiry(token: str) -> float | None:
    """A JWT's `exp`, read without verification (only to decide when to refresh)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


def config_dir() -> Path:
    return user_config_dir()


def token_file() -> Path:
    return config_dir() / "tokens.json"


def load_tokens() -> StoredTokens | None:
    """The stored tokens; None when there is no (readable) token file."""
    path = token_file()
    try:
        return StoredTokens.model_validate_json(path.read_bytes())
    except (FileNotFoundError, ValidationError):
        return None


def save_tokens(tokens: StoredTokens) -> Path:
    """Write the token file, readable by the user only (0600 from creation, replaced atomically)."""
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(tokens.model_dump_json(indent=2))
        os.chmod(staging, 0o600)
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return path


def delete_tokens() -> bool:
    """Remove the token file; False when there was none."""
    try:
        token_file().unlink()
    except FileNotFoundError:
        return False
    return True


def tokens_from_response(
    issuer: str,
    access_token: str,
    expires_in: float | None,
    refresh_token: str | None,
    id_token: str | None,
    previous: StoredTokens | None = None,
) -> StoredTokens:
    """What to store after a token response; keeps the previous refresh/id token when the issuer sends none."""
    return StoredTokens(
        issuer=issuer,
        access_token=access_token,
        refresh_token=refresh_token or (previous.refresh_token if previous else None),
        id_token=id_token or (previous.id_token if previous else None),
        expires_at=time.time() + expires_in if expires_in is not None else unverified_expiry(access_token),
    )


def valid_access_token(settings: AuthSettings) -> str | None:
    """None when auth is disabled; else a non-expired access token from the token file, refreshed with the
    refresh token when expired (and the file updated); LoginRequired when neither works."""
    if not settings.enabled:
        return None
    issuer = settings.require_enabled("log in")
    stored = load_tokens()
    if stored is None:
        raise LoginRequired(f"not logged in: {LOGIN_HINT}")
    if stored.issuer.rstrip("/") != issuer.rstrip("/"):
        raise LoginRequired(f"logged in to {stored.issuer}, not {issuer}: {LOGIN_HINT}")
    if not stored.expired():
        return stored.access_token
    if not stored.refresh_token:
        raise LoginRequired(f"session expired: {LOGIN_HINT}")

    from hawk_dagster.auth.oauth import OAuthError, refresh

    try:
        response = refresh(settings, stored.refresh_token)
    except OAuthError as exc:
        raise LoginRequired(f"session expired: {LOGIN_HINT}") from exc
    save_tokens(
        tokens_from_response(
            issuer,
            response.access_token,
            response.expires_in,
            response.refresh_token,
            response.id_token,
            stored,
        )
    )
    return response.access_token
