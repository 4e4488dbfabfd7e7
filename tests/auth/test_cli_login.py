"""`hawk login` / `hawk auth ...` / `hawk logout` as a user runs them, against the real OIDC provider."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hawk_dagster.auth.cli_tokens import StoredTokens, unverified_expiry
from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.auth.tokens import TokenValidator
from tests.fixtures.cli import hawk
from tests.fixtures.oidc import Account, OIDCProvider

CODE_LINE = re.compile(r"enter the code: (\S+)")


@pytest.fixture
def env(oidc_provider: OIDCProvider, tmp_path: Path) -> dict[str, str]:
    """The user's environment: pointed at the provider, their own config dir."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HAWK_MODEL_ACCESS_TOKEN_", "HAWK_ENV"))}
    return {**base, **oidc_provider.env(), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def token_path(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "hawk-dagster" / "tokens.json"


def stored(env: dict[str, str]) -> StoredTokens:
    return StoredTokens.model_validate_json(token_path(env).read_text())


def run_login(env: dict[str, str], tmp_path: Path, user_step: Callable[[str], None]) -> tuple[int, str, str]:
    """`hawk login`: read the user code it prints, do `user_step(code)` as the user would, wait for the CLI."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hawk_dagster.cli.main", "login", "--no-browser"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    printed = []
    try:
        while True:
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            match = CODE_LINE.search(line)
            if match:
                user_step(match.group(1))
                break
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, "".join(printed) + out, err


def logged_in(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path, account: Account
) -> StoredTokens:
    code, _out, err = run_login(env, tmp_path, lambda user_code: oidc_provider.approve(user_code, account))
    assert code == 0, err
    return stored(env)


def test_login_end_to_end(oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path) -> None:
    account = Account("erin", "erin@example.org", ("model-access-public", "model-access-frontier"))

    code, out, err = run_login(env, tmp_path, lambda user_code: oidc_provider.approve(user_code, account))

    assert code == 0, err
    assert f"{oidc_provider.issuer}/device" in out
    assert "Logged in as erin@example.org" in out
    path = token_path(env)
    assert path.stat().st_mode & 0o777 == 0o600
    tokens = stored(env)
    assert tokens.issuer == oidc_provider.issuer
    assert tokens.refresh_token and tokens.id_token
    identity = TokenValidator(AuthSettings.from_env(env)).validate(tokens.access_token)
    assert identity.subject == "erin"
    assert identity.permissions == frozenset(account.permissions)
    assert tokens.access_token not in out + err and tokens.refresh_token not in out + err

    printed_access = hawk(["auth", "access-token"], tmp_path, env)
    printed_refresh = hawk(["auth", "refresh-token"], tmp_path, env)
    assert printed_access.stdout.strip() == tokens.access_token  # still fresh: no refresh
    assert printed_refresh.stdout.strip() == tokens.refresh_token


def test_auth_login_is_the_same_verb(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    result = hawk(["auth", "login", "--help"], tmp_path, env)
    assert result.returncode == 0 and "device flow" in result.stdout


def test_denied_login_exits_nonzero_with_one_line(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    code, _out, err = run_login(env, tmp_path, oidc_provider.deny)

    assert code == 1
    assert err.strip().splitlines() == ["error: login denied: the request was rejected in the browser"]
    assert not token_path(env).exists()


def test_expired_device_code_exits_nonzero_with_one_line(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "HAWK_MODEL_ACCESS_TOKEN_CLIENT_ID": oidc_provider.short_codes_client_id}

    code, _out, err = run_login(env, tmp_path, lambda user_code: None)  # the user never approves

    assert code == 1
    assert err.strip().splitlines() == [
        "error: login expired: the code was not approved in time, run `hawk login` again"
    ]
    assert not token_path(env).exists()


def test_access_token_refreshes_an_expired_token(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    before = logged_in(
        oidc_provider, env, tmp_path, Account("frank", "frank@example.org", access_token_ttl=1)
    )
    expiry = unverified_expiry(before.access_token)
    assert expiry is not None
    while time.time() <= expiry + 1:  # let the access token really expire
        time.sleep(0.5)

    result = hawk(["auth", "access-token"], tmp_path, env)

    assert result.returncode == 0, result.stderr
    fresh = result.stdout.strip()
    assert fresh != before.access_token
    assert (unverified_expiry(fresh) or 0) > expiry
    assert TokenValidator(AuthSettings.from_env(env)).validate(fresh).subject == "frank"
    after = stored(env)
    assert after.access_token == fresh
    assert after.refresh_token
    assert token_path(env).stat().st_mode & 0o777 == 0o600


def test_access_token_with_a_dead_refresh_token_asks_for_login(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    path = token_path(env)
    path.parent.mkdir(parents=True)
    path.write_text(
        StoredTokens(
            issuer=oidc_provider.issuer, access_token="a.b.c", refresh_token="not-a-real-one", expires_at=1
        ).model_dump_json()
    )
    result = hawk(["auth", "access-token"], tmp_path, env)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: session expired: run `hawk login`"


def test_not_logged_in(oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path) -> None:
    for verb in (["auth", "access-token"], ["auth", "refresh-token"]):
        result = hawk(verb, tmp_path, env)
        assert result.returncode == 1
        assert result.stderr.strip() == "error: not logged in: run `hawk login`"


def test_logout_deletes_the_file_and_revokes_the_refresh_token(
    oidc_provider: OIDCProvider, env: dict[str, str], tmp_path: Path
) -> None:
    tokens = logged_in(oidc_provider, env, tmp_path, Account("gina", "gina@example.org"))
    assert tokens.refresh_token is not None
    result = hawk(["logout"], tmp_path, env)

    assert result.returncode == 0 and "Logged out." in result.stdout
    assert not token_path(env).exists()
    refreshed = httpx.post(
        f"{oidc_provider.issuer}/token",
        data={
            "client_id": oidc_provider.client_id,
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
        },
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    control = oidc_provider.token_for(Account("gina", "gina@example.org"))["refresh_token"]  # not logged out
    assert httpx.post(
        f"{oidc_provider.issuer}/token",
        data={"client_id": oidc_provider.client_id, "grant_type": "refresh_token", "refresh_token": control},
    ).is_success
    assert "Not logged in." in hawk(["logout"], tmp_path, env).stdout


def test_local_mode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAWK_MODEL_ACCESS_TOKEN_", "HAWK_ENV"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")

    login = hawk(["login"], tmp_path, env)
    token = hawk(["auth", "access-token"], tmp_path, env)
    production = hawk(["login"], tmp_path, {**env, "HAWK_ENV": "production"})

    assert (login.returncode, login.stdout.strip()) == (0, "auth disabled: local single-user mode")
    assert token.returncode == 1 and "auth disabled: local single-user mode" in token.stderr
    assert production.returncode == 1 and "HAWK_MODEL_ACCESS_TOKEN_ISSUER" in production.stderr


@pytest.mark.parametrize("args", [["--help"], ["auth", "--help"], ["login", "--help"]])
def test_help_imports_no_http_or_jwt_library(args: list[str], tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from hawk_dagster.cli.main import cli\n"
        f"try:\n    cli({args!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'joserfc', 'cryptography', 'dagster'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
