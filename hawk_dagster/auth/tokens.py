"""Validate the API's bearer tokens: a JWT signed by a key in the issuer's JWKS, for our audience, not expired.

Keys are cached (`jwks_cache_seconds`) and refetched once when a token names an unknown `kid` (the issuer
rotated its keys), at most once per `min_refetch_seconds` so forged key ids cannot make us hammer the issuer.
Every rejection is a `TokenError` (an HTTP 401) whose message names the problem, never the token. An issuer
whose keys cannot be read raises `IssuerUnavailable` (a server-side failure, not the caller's).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import JWKRegistry, Key

from hawk_dagster.auth.discovery import get_json, jwks_url
from hawk_dagster.auth.identity import Identity
from hawk_dagster.auth.settings import AuthSettings

# Asymmetric algorithms only: never `none`, never HS* (a public key must not double as an HMAC secret).
ACCEPTED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
CLOCK_SKEW_SECONDS = 30
KEY_TYPES = ("RSA", "EC", "OKP")


class TokenError(Exception):
    """The request's token is not acceptable (always a 401); str() names the problem."""


def claim_values(value: object) -> frozenset[str]:
    """A `permissions` / `scp` claim as a set: a list of strings or one space-separated string."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value if isinstance(item, str) and item)
    return frozenset()


def identity_from_claims(claims: Mapping[str, Any], email_field: str = "email") -> Identity:
    """The caller a validated token describes: `sub`, the email claim, the `permissions` (else `scp`) values."""
    permissions = claims.get("permissions")
    if permissions is None:
        permissions = claims.get("scp")
    email = claims.get(email_field)
    return Identity(
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and email else None,
        permissions=claim_values(permissions),
    )


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, before any verification; TokenError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token: not a JWT (expected three dot-separated parts)")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise TokenError("malformed token: the JWT header is not base64url JSON") from exc
    if not isinstance(header, dict):
        raise TokenError("malformed token: the JWT header is not a JSON object")
    return header


def import_jwks(document: object) -> dict[str | None, Key]:
    """Signing keys of a JWKS document by `kid` (keys we cannot use, e.g. encryption keys, are skipped)."""
    keys: dict[str | None, Key] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in KEY_TYPES:
            continue
        try:
            key = JWKRegistry.import_key(entry)
        except (JoseError, ValueError, TypeError):
            continue
        keys[entry.get("kid")] = key
    return keys


class TokenValidator:
    """Checks bearer tokens against the issuer's keys and the configured audience; thread-safe."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        jwks_cache_seconds: float = 3600,
        min_refetch_seconds: float = 10,
    ) -> None:
        self.issuer = settings.require_enabled("validate access tokens")
        self.audience = settings.require_audience()
        self.settings = settings
        self.jwks_cache_seconds = jwks_cache_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._keys: dict[str | None, Key] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def validate(self, token: str) -> Identity:
        """The caller of a valid token; TokenError (missing / malformed / unknown key / bad signature /
        expired / not yet valid / wrong issuer / wrong audience) otherwise."""
        token = (token or "").strip()
        if not token:
            raise TokenError("missing access token: send `Authorization: Bearer <token>` (see `hawk login`)")
        header = unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in ACCEPTED_ALGORITHMS:
            raise TokenError(f"malformed token: signature algorithm {algorithm!r} is not accepted")
        key = self._key_for(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=list(ACCEPTED_ALGORITHMS)).claims
        except BadSignatureError as exc:
            raise TokenError("bad signature: the token was not signed by the issuer's key") from exc
        except (JoseError, ValueError) as exc:
            raise TokenError(f"malformed token: {exc}") from exc
        self._check_claims(claims)
        return identity_from_claims(claims, self.settings.email_field)

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise TokenError("malformed token: no numeric `exp` claim")
        if exp + CLOCK_SKEW_SECONDS <= now:
            raise TokenError("expired token: run `hawk login` (or `hawk auth access-token`) for a new one")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf - CLOCK_SKEW_SECONDS > now:
            raise TokenError("token not yet valid: its `nbf` is in the future (check the clocks)")
        if claims.get("iss") is None or str(claims["iss"]).rstrip("/") != self.issuer.rstrip("/"):
            raise TokenError(
                f"wrong issuer: the token's `iss` is {claims.get('iss')!r}, expected {self.issuer!r}"
            )
        audiences = claims.get("aud")
        audience_list = audiences if isinstance(audiences, list) else [audiences]
        if self.audience not in audience_list:
            raise TokenError(
                f"wrong audience: the token's `aud` is {audiences!r}, expected {self.audience!r}"
            )
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenError("malformed token: no `sub` claim")

    def _key_for(self, kid: object) -> Key:
        if kid is not None and not isinstance(kid, str):
            raise TokenError("malformed token: the `kid` header is not a string")
        with self._lock:
            now = time.monotonic()
            if self._fetched_at is None or now - self._fetched_at >= self.jwks_cache_seconds:
                self._refresh_keys()
            key = self._lookup(kid)
            if key is None and now - (self._fetched_at or 0) >= self.min_refetch_seconds:
                self._refresh_keys()
                key = self._lookup(kid)
        if key is None:
            raise TokenError(f"unknown key: the token's key id {kid!r} is not in the issuer's JWKS")
        return key

    def _lookup(self, kid: str | None) -> Key | None:
        if kid is None:
            # No key id: only unambiguous when the issuer publishes exactly one signing key.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _refresh_keys(self) -> None:
        document = get_json(jwks_url(self.settings), "JWKS")
        self._keys = import_jwks(document)
        self._fetched_at = time.monotonic()
