"""Who is calling: the identity in the bearer token (auth enabled), else local mode's single user."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from hawk_dagster.api.problems import Problem
from hawk_dagster.auth.identity import Identity, local_identity
from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.runs.kind import default_created_by

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Log in again with `hawk login`", detail, headers=BEARER_CHALLENGE)


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise unauthorized("the request has no access token (send `Authorization: Bearer <token>`)")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("the Authorization header is not `Bearer <token>`")
    return token.strip()


def identity_resolver(settings: AuthSettings) -> Callable[[Request], Identity]:
    """A FastAPI dependency: the caller's Identity, or a 401 naming the token's problem."""
    if not settings.enabled:
        user = local_identity(default_created_by())

        def local(_request: Request) -> Identity:
            return user

        return local

    from hawk_dagster.auth.discovery import IssuerUnavailable
    from hawk_dagster.auth.tokens import TokenError, TokenValidator

    validator = TokenValidator(settings)

    def from_token(request: Request) -> Identity:
        token = bearer_token(request)
        try:
            return validator.validate(token)
        except TokenError as exc:
            raise unauthorized(str(exc)) from None
        except IssuerUnavailable as exc:
            raise Problem(503, "Try again later: the token issuer is unreachable", str(exc)) from None

    return from_token
