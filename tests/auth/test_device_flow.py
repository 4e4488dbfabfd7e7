"""The device-flow client and the stored login, in process, against the real OIDC provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from hawk_dagster.auth.cli_tokens import (
    LoginRequired,
    StoredTokens,
    save_tokens,
    token_file,
    valid_access_token,
)
from hawk_dagster.auth.oauth import poll_device_token, start_device_authorization
from hawk_dagster.auth.settings import AuthSettings
from tests.fixtures.oidc import Account, OIDCProvider


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def poll_while_user_approves(oidc_provider: OIDCProvider, client_id: str) -> list[float]:
    """Start a device flow; the user approves during the CLI's first wait. The waits the client asked for."""
    settings = AuthSettings.from_env(oidc_provider.env(HAWK_MODEL_ACCESS_TOKEN_CLIENT_ID=client_id))
    authorization = start_device_authorization(settings)
    waits: list[float] = []

    def wait(seconds: float) -> None:
        if not waits:
            oidc_provider.approve(authorization.user_code, Account("hana", "hana@example.org"))
        waits.append(seconds)

    response = poll_device_token(settings, authorization, sleep=wait)
    assert response.access_token and response.refresh_token
    return waits


def test_polls_at_the_issuers_interval(oidc_provider: OIDCProvider) -> None:
    assert poll_while_user_approves(oidc_provider, oidc_provider.client_id) == [1.0]


def test_slow_down_lengthens_the_interval(oidc_provider: OIDCProvider) -> None:
    assert poll_while_user_approves(oidc_provider, f"{oidc_provider.client_id}-slow-down") == [6.0]


def test_valid_access_token_is_none_when_auth_is_disabled(config_home: Path) -> None:
    assert valid_access_token(AuthSettings()) is None


def test_valid_access_token_returns_the_stored_fresh_token(
    oidc_provider: OIDCProvider, config_home: Path
) -> None:
    tokens = oidc_provider.token_for(Account("ivan", "ivan@example.org"))
    save_tokens(
        StoredTokens(issuer=oidc_provider.issuer, **{k: tokens[k] for k in ("access_token", "refresh_token")})
    )
    assert token_file().stat().st_mode & 0o777 == 0o600
    assert valid_access_token(AuthSettings.from_env(oidc_provider.env())) == tokens["access_token"]


def test_a_login_at_another_issuer_does_not_count(oidc_provider: OIDCProvider, config_home: Path) -> None:
    save_tokens(StoredTokens(issuer="https://other-issuer.test", access_token="x.y.z"))
    with pytest.raises(LoginRequired, match="run `hawk login`"):
        valid_access_token(AuthSettings.from_env(oidc_provider.env()))


def test_an_expired_token_without_refresh_token(oidc_provider: OIDCProvider, config_home: Path) -> None:
    save_tokens(StoredTokens(issuer=oidc_provider.issuer, access_token="x.y.z", expires_at=1))
    with pytest.raises(LoginRequired, match=r"^session expired: run `hawk login`$"):
        valid_access_token(AuthSettings.from_env(oidc_provider.env()))
