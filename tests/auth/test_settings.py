"""AuthSettings from the environment: the HAWK_MODEL_ACCESS_TOKEN_* names, local mode, production's refusal."""

from __future__ import annotations

import pytest

from hawk_dagster.auth.settings import DEFAULT_SCOPES, AuthConfigError, AuthSettings


def test_from_env_reads_every_setting() -> None:
    settings = AuthSettings.from_env(
        {
            "HAWK_MODEL_ACCESS_TOKEN_ISSUER": "https://login.example.org/oauth2/abc",
            "HAWK_MODEL_ACCESS_TOKEN_AUDIENCE": "https://api.example.org",
            "HAWK_MODEL_ACCESS_TOKEN_JWKS_PATH": "v1/keys",
            "HAWK_MODEL_ACCESS_TOKEN_CLIENT_ID": "cli-client",
            "HAWK_MODEL_ACCESS_TOKEN_SCOPES": "openid offline_access",
            "HAWK_MODEL_ACCESS_TOKEN_DEVICE_CODE_PATH": "v1/device/authorize",
            "HAWK_MODEL_ACCESS_TOKEN_TOKEN_PATH": "v1/token",
            "HAWK_MODEL_ACCESS_TOKEN_EMAIL_FIELD": "https://example.org/email",
            "HAWK_ENV": "staging",
        }
    )
    assert settings.enabled
    assert settings.issuer_url(settings.jwks_path) == "https://login.example.org/oauth2/abc/v1/keys"
    assert settings.issuer_url(settings.token_path) == "https://login.example.org/oauth2/abc/v1/token"
    assert (settings.client_id, settings.scopes, settings.email_field, settings.environment) == (
        "cli-client",
        "openid offline_access",
        "https://example.org/email",
        "staging",
    )


@pytest.mark.parametrize("issuer", [None, "", "  "])
def test_no_issuer_is_local_mode(issuer: str | None) -> None:
    environ = {} if issuer is None else {"HAWK_MODEL_ACCESS_TOKEN_ISSUER": issuer}
    settings = AuthSettings.from_env(environ)
    assert not settings.enabled
    assert settings.scopes == DEFAULT_SCOPES and settings.email_field == "email"
    settings.check_mode()  # allowed outside production
    assert AuthSettings.LOCAL_MODE_BANNER == "auth disabled: local single-user mode"


def test_production_without_issuer_is_refused() -> None:
    settings = AuthSettings.from_env({"HAWK_ENV": "production"})
    with pytest.raises(AuthConfigError) as caught:
        settings.check_mode()
    message = str(caught.value)
    assert "HAWK_MODEL_ACCESS_TOKEN_ISSUER" in message and "HAWK_ENV=production" in message
    assert "\n" not in message


def test_production_with_issuer_is_fine() -> None:
    AuthSettings.from_env(
        {"HAWK_ENV": "production", "HAWK_MODEL_ACCESS_TOKEN_ISSUER": "https://login.example.org"}
    ).check_mode()


def test_absolute_endpoint_urls_are_kept() -> None:
    settings = AuthSettings(issuer="https://login.example.org/")
    assert settings.issuer_url("https://elsewhere.example.org/jwks") == "https://elsewhere.example.org/jwks"
    assert settings.issuer_url("/.well-known/jwks.json") == "https://login.example.org/.well-known/jwks.json"
