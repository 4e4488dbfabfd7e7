"""The issuer's endpoints: the configured `*_PATH` setting when set, else its OpenID discovery document.

The document (`<issuer>/.well-known/openid-configuration`) is read once per process and issuer.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from hawk_dagster.auth.settings import DEFAULT_JWKS_PATH, ENV_PREFIX, AuthConfigError, AuthSettings

DISCOVERY_PATH = ".well-known/openid-configuration"

_documents: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


class IssuerUnavailable(RuntimeError):
    """The issuer could not be reached or answered nonsense (a server-side problem, not the caller's)."""


def get_json(url: str, what: str) -> dict[str, Any]:
    """GET a JSON object from the issuer; IssuerUnavailable (naming `what`) when that fails."""
    try:
        response = httpx.get(url, timeout=10, follow_redirects=True)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise IssuerUnavailable(f"cannot read the issuer's {what} at {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise IssuerUnavailable(f"the issuer's {what} at {url} is not a JSON object")
    return document


def discovery_document(settings: AuthSettings) -> dict[str, Any]:
    """The issuer's discovery document (cached); IssuerUnavailable when it cannot be read."""
    url = settings.issuer_url(DISCOVERY_PATH)
    with _lock:
        cached = _documents.get(url)
    if cached is None:
        cached = get_json(url, "discovery document")
        with _lock:
            _documents[url] = cached
    return cached


def _discovered(settings: AuthSettings, field: str) -> str | None:
    value = discovery_document(settings).get(field)
    return value if isinstance(value, str) and value else None


def jwks_url(settings: AuthSettings) -> str:
    """JWKS_PATH, else discovery's `jwks_uri`, else the conventional `.well-known/jwks.json`."""
    if settings.jwks_path:
        return settings.issuer_url(settings.jwks_path)
    try:
        discovered = _discovered(settings, "jwks_uri")
    except IssuerUnavailable:
        discovered = None
    return discovered or settings.issuer_url(DEFAULT_JWKS_PATH)


def _endpoint(settings: AuthSettings, path: str, field: str, setting: str, example: str) -> str:
    if path:
        return settings.issuer_url(path)
    discovered = _discovered(settings, field)
    if discovered is None:
        raise AuthConfigError(
            f"{ENV_PREFIX}{setting} is not set and the issuer's discovery document has no {field}: "
            f"set it (e.g. {example})"
        )
    return discovered


def token_url(settings: AuthSettings) -> str:
    """TOKEN_PATH, else discovery's `token_endpoint`."""
    return _endpoint(settings, settings.token_path, "token_endpoint", "TOKEN_PATH", "v1/token")


def device_authorization_url(settings: AuthSettings) -> str:
    """DEVICE_CODE_PATH, else discovery's `device_authorization_endpoint`."""
    return _endpoint(
        settings,
        settings.device_code_path,
        "device_authorization_endpoint",
        "DEVICE_CODE_PATH",
        "v1/device/authorize",
    )


def revocation_url(settings: AuthSettings) -> str | None:
    """Discovery's `revocation_endpoint`, when the issuer has one (and can be reached)."""
    try:
        return _discovered(settings, "revocation_endpoint")
    except IssuerUnavailable:
        return None
