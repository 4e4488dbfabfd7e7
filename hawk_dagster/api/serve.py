"""`hawk serve`: the API under uvicorn (loaded lazily by the CLI: `hawk --help` imports none of this)."""

from __future__ import annotations

import logging
import sys

import click

from hawk_dagster.api.settings import DEFAULT_HOST, DEFAULT_PORT


@click.command("serve")
@click.option("--host", default=None, help=f"Address to bind (HAWK_API_HOST, default {DEFAULT_HOST}).")
@click.option("--port", default=None, type=int, help=f"Port to bind (HAWK_API_PORT, default {DEFAULT_PORT}).")
def serve(host: str | None, port: int | None) -> None:
    """Run the Hawk API (launches runs on the Dagster at HAWK_DAGSTER_URL)."""
    import uvicorn

    from hawk_dagster.api.app import create_app
    from hawk_dagster.api.settings import ApiSettings
    from hawk_dagster.auth.settings import AuthConfigError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    try:
        settings = ApiSettings.from_env()
        app = create_app(settings)
    except (AuthConfigError, ValueError) as exc:
        click.secho(f"error: {str(exc).splitlines()[0]}", fg="red", err=True)
        sys.exit(1)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
    )
