"""The CLI's OAuth2 client calls: device authorization (RFC 8628), the refresh grant, token revocation (RFC 7009).

Plain form POSTs to the issuer's endpoints (`hawk_dagster.auth.discovery`). Tokens are never logged; errors name
the OAuth error code and the issuer's description only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from hawk_dagster.auth.discovery import IssuerUnavailable, device_authorization_url, revocation_url, token_url
from hawk_dagster.auth.settings import AuthSettings

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP_SECONDS = 5  # RFC 8628 §3.5
# Past the code's lifetime the issuer answers `expired_token`; we stop on our own only if it never does.
EXPIRY_GRACE_SECONDS = 30


class OAuthError(RuntimeError):
    """The issuer refused a request: `error` is the OAuth error code (e.g. `invalid_grant`)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


class DeviceFlowError(RuntimeError):
    """The device login did not complete (denied, expired); the message is the one line the CLI prints."""


class TokenResponse(BaseModel):
    """A token endpoint's answer (RFC 6749 §5.1)."""

    model_config = ConfigDict(extra="ignore")

    access_token: str
    token_type: str = "Bearer"
    expires_in: float | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str | None = None


class DeviceAuthorization(BaseModel):
    """A device authorization response (RFC 8628 §3.2)."""

    model_config = ConfigDict(extra="ignore")

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None = None
    expires_in: float
    interval: float = 5


def post_form(url: str, data: dict[str, str]) -> dict[str, Any]:
    """POST a form; the JSON answer, or OAuthError carrying the issuer's error code."""
    try:
        response = httpx.post(url, data=data, headers={"Accept": "application/json"}, timeout=30)
    except httpx.HTTPError as exc:
        raise IssuerUnavailable(f"cannot reach {url}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        raise OAuthError(body["error"], body.get("error_description"))
    raise IssuerUnavailable(f"{url} answered HTTP {response.status_code} without an OAuth error")


def _client_fields(settings: AuthSettings) -> dict[str, str]:
    return {"client_id": settings.require_client_id()}


def start_device_authorization(settings: AuthSettings) -> DeviceAuthorization:
    """Ask the issuer for a device code and the user code to show."""
    data = {**_client_fields(settings), "scope": settings.scopes}
    if settings.audience:
        data["audience"] = settings.audience
    return DeviceAuthorization.model_validate(post_form(device_authorization_url(settings), data))


def poll_device_token(
    settings: AuthSettings,
    authorization: DeviceAuthorization,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenResponse:
    """Poll the token endpoint every `interval` seconds (longer after `slow_down`) until the user approves;
    DeviceFlowError when they deny it or the code expires."""
    url = token_url(settings)
    interval = max(authorization.interval, 1.0)
    deadline = time.monotonic() + authorization.expires_in + EXPIRY_GRACE_SECONDS
    data = {
        **_client_fields(settings),
        "grant_type": DEVICE_CODE_GRANT,
        "device_code": authorization.device_code,
    }
    while True:
        try:
            return TokenResponse.model_validate(post_form(url, data))
        except OAuthError as exc:
            if exc.error == "authorization_pending":
                pass
            elif exc.error == "slow_down":
                interval += SLOW_DOWN_STEP_SECONDS
            elif exc.error == "access_denied":
                raise DeviceFlowError("login denied: the request was rejected in the browser") from exc
            elif exc.error == "expired_token":
                raise DeviceFlowError(
                    "login expired: the code was not approved in time, run `hawk login` again"
                ) from exc
            else:
                raise DeviceFlowError(f"login failed: {exc}") from exc
        if time.monotonic() + interval > deadline:
            raise DeviceFlowError("login expired: the code was not approved in time, run `hawk login` again")
        sleep(interval)


def refresh(settings: AuthSettings, refresh_token: str) -> TokenResponse:
    """New tokens from a refresh token (OAuthError `invalid_grant` when it is expired or revoked)."""
    data = {**_client_fields(settings), "grant_type": "refresh_token", "refresh_token": refresh_token}
    return TokenResponse.model_validate(post_form(token_url(settings), data))


def revoke(settings: AuthSettings, token: str, token_type_hint: str = "refresh_token") -> bool:
    """Revoke `token` at the issuer's revocation endpoint; False when it has none."""
    url = revocation_url(settings)
    if url is None:
        return False
    try:
        response = httpx.post(
            url,
            data={**_client_fields(settings), "token": token, "token_type_hint": token_type_hint},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise IssuerUnavailable(f"cannot reach {url}: {exc}") from exc
    return response.is_success
