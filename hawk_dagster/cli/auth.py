"""`hawk login`, `hawk logout`, `hawk auth ...`: the OAuth2 device login and the stored tokens.

The issuer comes from `HAWK_MODEL_ACCESS_TOKEN_*` (hawk_dagster.auth.settings); with none, auth is disabled
(local single-user mode) and `hawk login` says so. Tokens live in a 0600 file (hawk_dagster.auth.cli_tokens).
"""

from __future__ import annotations

import click

from hawk_dagster.auth.settings import AuthConfigError, AuthSettings
from hawk_dagster.cli.main import fail, warn


def settings_or_exit() -> AuthSettings:
    settings = AuthSettings.from_env()
    try:
        settings.check_mode()
    except AuthConfigError as exc:
        fail(str(exc))
    return settings


def open_browser(url: str) -> None:
    """Open `url` where a graphical browser exists; nothing on a headless Linux (SSH, CI), where a console
    browser would take over the terminal that shows the code."""
    import contextlib
    import os
    import sys
    import webbrowser

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(url)


@click.command("login")
@click.option("--no-browser", is_flag=True, help="Only print the URL and code; do not open a browser.")
def login(no_browser: bool) -> None:
    """Log in with your browser (OAuth2 device flow) and store the tokens."""
    settings = settings_or_exit()
    if not settings.enabled:
        click.echo(AuthSettings.LOCAL_MODE_BANNER)
        return

    from hawk_dagster.auth.cli_tokens import save_tokens, tokens_from_response
    from hawk_dagster.auth.discovery import IssuerUnavailable
    from hawk_dagster.auth.oauth import (
        DeviceFlowError,
        OAuthError,
        poll_device_token,
        start_device_authorization,
    )
    from hawk_dagster.auth.tokens import TokenError, TokenValidator

    try:
        validator = TokenValidator(settings)
        authorization = start_device_authorization(settings)
        click.echo(
            f"To log in, open {authorization.verification_uri} and enter the code: {authorization.user_code}"
        )
        if authorization.verification_uri_complete:
            click.echo(f"(or open {authorization.verification_uri_complete})")
        if not no_browser:
            open_browser(authorization.verification_uri_complete or authorization.verification_uri)
        click.echo("Waiting for the login to be approved...")
        response = poll_device_token(settings, authorization)
        identity = validator.validate(response.access_token)
    except TokenError as exc:
        fail(f"the issuer's access token is not valid for this API: {exc}")
        return
    except (AuthConfigError, DeviceFlowError, IssuerUnavailable) as exc:
        fail(str(exc))
        return
    except OAuthError as exc:
        fail(f"login failed: {exc}")
        return
    path = save_tokens(
        tokens_from_response(
            validator.issuer,
            response.access_token,
            response.expires_in,
            response.refresh_token,
            response.id_token,
        )
    )
    click.echo(f"Logged in as {identity.created_by} (tokens in {path})")


@click.command("logout")
def logout() -> None:
    """Forget the stored tokens (and revoke the refresh token at the issuer)."""
    from hawk_dagster.auth.cli_tokens import delete_tokens, load_tokens
    from hawk_dagster.auth.discovery import IssuerUnavailable
    from hawk_dagster.auth.oauth import revoke

    settings = AuthSettings.from_env()
    stored = load_tokens()
    if stored is not None and stored.refresh_token and settings.enabled and settings.client_id:
        try:
            if not revoke(settings, stored.refresh_token):
                click.echo(
                    "The issuer has no revocation endpoint: the refresh token stays valid until it expires."
                )
        except IssuerUnavailable as exc:
            warn(f"could not revoke the refresh token: {exc}")
    if delete_tokens():
        click.echo("Logged out.")
    else:
        click.echo("Not logged in.")


@click.group("auth")
def auth() -> None:
    """Log in and print tokens for other tools."""


auth.add_command(login)


@auth.command("access-token")
def access_token() -> None:
    """Print a valid access token (refreshed when the stored one expired)."""
    from hawk_dagster.auth.cli_tokens import LoginRequired, valid_access_token
    from hawk_dagster.auth.discovery import IssuerUnavailable

    settings = settings_or_exit()
    try:
        token = valid_access_token(settings)
    except (LoginRequired, AuthConfigError, IssuerUnavailable) as exc:
        fail(str(exc))
        return
    if token is None:
        fail(f"{AuthSettings.LOCAL_MODE_BANNER}: there is no access token")
        return
    click.echo(token)


@auth.command("refresh-token")
def refresh_token() -> None:
    """Print the stored refresh token."""
    from hawk_dagster.auth.cli_tokens import LOGIN_HINT, load_tokens

    stored = load_tokens()
    if stored is None:
        fail(f"not logged in: {LOGIN_HINT}")
        return
    if not stored.refresh_token:
        fail(f"the issuer gave no refresh token (is offline_access among the scopes?): {LOGIN_HINT}")
        return
    click.echo(stored.refresh_token)
