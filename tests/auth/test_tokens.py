"""TokenValidator against the real provider's tokens, and hand-made JWTs for every way a token is refused."""

from __future__ import annotations

import base64
import json
import socket
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from hawk_dagster.auth.discovery import IssuerUnavailable
from hawk_dagster.auth.identity import Identity
from hawk_dagster.auth.settings import AuthConfigError, AuthSettings
from hawk_dagster.auth.tokens import TokenError, TokenValidator
from tests.auth.conftest import AUDIENCE, HandIssuer, rsa_key
from tests.fixtures.oidc import Account, OIDCProvider


def validator_for(issuer: HandIssuer, **kwargs: float) -> TokenValidator:
    return TokenValidator(AuthSettings(issuer=issuer.url, audience=AUDIENCE), **kwargs)


def refused(validator: TokenValidator, token: str) -> str:
    with pytest.raises(TokenError) as caught:
        validator.validate(token)
    return str(caught.value)


def test_accepts_provider_token_with_subject_email_permissions(oidc_provider: OIDCProvider) -> None:
    account = Account("alice", "alice@example.org", ("model-access-public", "model-access-secret"))
    token = oidc_provider.token_for(account)["access_token"]
    validator = TokenValidator(AuthSettings(issuer=oidc_provider.issuer, audience=oidc_provider.audience))

    identity = validator.validate(token)

    assert identity == Identity(
        subject="alice",
        email="alice@example.org",
        permissions=frozenset({"model-access-public", "model-access-secret"}),
    )
    assert identity.created_by == "alice@example.org"


def test_provider_token_for_another_audience_is_refused(oidc_provider: OIDCProvider) -> None:
    token = oidc_provider.token_for(Account("bob", "bob@example.org"))["access_token"]
    validator = TokenValidator(AuthSettings(issuer=oidc_provider.issuer, audience="https://other-api.test"))
    assert refused(validator, token).startswith("wrong audience")


def test_provider_token_resigned_with_another_key_is_refused(oidc_provider: OIDCProvider) -> None:
    token = oidc_provider.token_for(Account("carol", "carol@example.org", ("model-access-public",)))[
        "access_token"
    ]
    header_b64, payload_b64, _ = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    claims["permissions"] = ["model-access-everything"]
    forged = jwt.encode(header, claims, rsa_key(header["kid"]))  # same kid, the attacker's own key
    validator = TokenValidator(AuthSettings(issuer=oidc_provider.issuer, audience=oidc_provider.audience))
    assert refused(validator, forged).startswith("bad signature")


def test_permissions_from_scp_string_or_list_and_custom_email_field(hand_issuer: HandIssuer) -> None:
    settings = AuthSettings(
        issuer=hand_issuer.url, audience=AUDIENCE, email_field="https://example.org/email"
    )
    validator = TokenValidator(settings)

    from_string = validator.validate(hand_issuer.sign(scp="model-access-a model-access-b"))
    custom_email: dict[str, Any] = {"https://example.org/email": "dana@example.org"}
    from_list = validator.validate(hand_issuer.sign(scp=["model-access-a"], **custom_email))
    no_email = validator.validate(hand_issuer.sign(email="ignored@example.org"))

    assert from_string.permissions == frozenset({"model-access-a", "model-access-b"})
    assert from_list.permissions == frozenset({"model-access-a"})
    assert from_list.created_by == "dana@example.org"
    assert no_email.email is None and no_email.created_by == "user-1"


def test_permissions_claim_wins_over_scp(hand_issuer: HandIssuer) -> None:
    identity = validator_for(hand_issuer).validate(hand_issuer.sign(permissions=["p1"], scp="s1"))
    assert identity.permissions == frozenset({"p1"})


@pytest.mark.parametrize("token", ["", "   "])
def test_missing_token(hand_issuer: HandIssuer, token: str) -> None:
    assert refused(validator_for(hand_issuer), token).startswith("missing access token")


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b", "%%%.e30.sig", base64.urlsafe_b64encode(b"[1]").decode().rstrip("=") + ".e30.sig"],
)
def test_malformed_token(hand_issuer: HandIssuer, token: str) -> None:
    assert refused(validator_for(hand_issuer), token).startswith("malformed token")


def test_unsigned_and_hmac_tokens_are_refused(hand_issuer: HandIssuer) -> None:
    validator = validator_for(hand_issuer)
    header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "key-1"}).encode()).decode().rstrip("=")
    )
    body = (
        base64.urlsafe_b64encode(json.dumps({"iss": hand_issuer.url, "sub": "x"}).encode())
        .decode()
        .rstrip("=")
    )
    hmac = jwt.encode(
        {"alg": "HS256", "kid": "key-1"}, {"iss": hand_issuer.url, "sub": "x"}, OctKey.generate_key(256)
    )

    assert "algorithm 'none' is not accepted" in refused(validator, f"{header}.{body}.")
    assert "algorithm 'HS256' is not accepted" in refused(validator, hmac)


def test_expired_token(hand_issuer: HandIssuer) -> None:
    past = int(time.time()) - 3600
    assert refused(validator_for(hand_issuer), hand_issuer.sign(iat=past - 60, exp=past)).startswith(
        "expired token"
    )


def test_token_without_expiry(hand_issuer: HandIssuer) -> None:
    message = refused(validator_for(hand_issuer), hand_issuer.sign(exp=None))
    assert message.startswith("malformed token") and "exp" in message


def test_forged_signature(hand_issuer: HandIssuer) -> None:
    impostor = rsa_key("key-1")  # the published kid, another private key
    assert refused(validator_for(hand_issuer), hand_issuer.sign(key=impostor)).startswith("bad signature")


def test_wrong_audience(hand_issuer: HandIssuer) -> None:
    message = refused(validator_for(hand_issuer), hand_issuer.sign(aud="https://someone-else.test"))
    assert message.startswith("wrong audience") and "someone-else" in message


def test_audience_list_containing_ours_is_accepted(hand_issuer: HandIssuer) -> None:
    identity = validator_for(hand_issuer).validate(hand_issuer.sign(aud=["https://x.test", AUDIENCE]))
    assert identity.subject == "user-1"


def test_wrong_issuer(hand_issuer: HandIssuer) -> None:
    message = refused(validator_for(hand_issuer), hand_issuer.sign(iss="https://evil.test"))
    assert message.startswith("wrong issuer") and "evil.test" in message


def test_unknown_key_refetches_the_jwks_once_then_refuses(hand_issuer: HandIssuer) -> None:
    validator = validator_for(hand_issuer, min_refetch_seconds=0)
    validator.validate(hand_issuer.sign())
    assert hand_issuer.jwks_reads == 1

    message = refused(validator, hand_issuer.sign(key=rsa_key("never-published")))

    assert message.startswith("unknown key") and "never-published" in message
    assert hand_issuer.jwks_reads == 2


def test_key_rotation_is_picked_up_by_one_refetch(hand_issuer: HandIssuer) -> None:
    validator = validator_for(hand_issuer, min_refetch_seconds=0)
    validator.validate(hand_issuer.sign())
    rotated = rsa_key("key-2")
    hand_issuer.keys = [rotated]

    identity = validator.validate(hand_issuer.sign(key=rotated, sub="after-rotation"))
    again = validator.validate(hand_issuer.sign(key=rotated, sub="cached"))

    assert (identity.subject, again.subject) == ("after-rotation", "cached")
    assert hand_issuer.jwks_reads == 2


def test_unknown_keys_do_not_make_the_validator_hammer_the_issuer(hand_issuer: HandIssuer) -> None:
    validator = validator_for(hand_issuer, min_refetch_seconds=3600)
    validator.validate(hand_issuer.sign())
    for attempt in range(3):
        refused(validator, hand_issuer.sign(key=rsa_key(f"random-{attempt}")))
    assert hand_issuer.jwks_reads == 1


def test_jwks_path_setting_wins_over_discovery(hand_issuer: HandIssuer) -> None:
    settings = AuthSettings(issuer=hand_issuer.url, audience=AUDIENCE, jwks_path="/keys")
    assert TokenValidator(settings).validate(hand_issuer.sign()).subject == "user-1"


def test_validator_needs_issuer_and_audience() -> None:
    with pytest.raises(AuthConfigError, match="HAWK_MODEL_ACCESS_TOKEN_ISSUER"):
        TokenValidator(AuthSettings(audience=AUDIENCE))
    with pytest.raises(AuthConfigError, match="HAWK_MODEL_ACCESS_TOKEN_AUDIENCE"):
        TokenValidator(AuthSettings(issuer="https://issuer.test"))


def test_unreachable_issuer_is_a_server_error_not_a_token_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        issuer = f"http://127.0.0.1:{probe.getsockname()[1]}"
    validator = TokenValidator(AuthSettings(issuer=issuer, audience=AUDIENCE))
    with pytest.raises(IssuerUnavailable, match="cannot read the issuer's JWKS"):
        validator.validate(jwt.encode({"alg": "RS256", "kid": "k"}, {"sub": "x"}, rsa_key("k")))
