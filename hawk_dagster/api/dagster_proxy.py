"""The Dagster UI's auth proxy: admins only, and every launch checked and granted for the operator.

In a cluster the UI is reached through oauth2-proxy (the browser login), which forwards the user's
access token (`X-Forwarded-Access-Token`, or `Authorization: Bearer`) to this app. The app validates
the token itself (it does not trust the login in front of it), requires the admin group, and proxies
everything, HTTP and the `/graphql` websocket, to the internal dagster-webserver. GraphQL launch
mutations are checked and granted on the way (`hawk_dagster.access.ui_launch`); mutations over the
websocket are refused (the UI sends them over HTTP). A path below the mount point goes to the same path
below the webserver's URL (the API's `HAWK_DAGSTER_URL`); the UI's pages link with the webserver's own
path prefix, so run it with the prefix this app is mounted at (`dagster-webserver --path-prefix
/dagster`, and `HAWK_DAGSTER_URL=http://<webserver>/dagster`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
import websockets
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from hawk_dagster.access.grant import grant_key_from_env
from hawk_dagster.access.ui_launch import (
    LaunchRefused,
    ParentRun,
    RunAccessCheck,
    UiLauncher,
    grant_graphql_request,
    is_mutation,
    launch_fields,
)
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.identity import Identity, local_identity
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.kind import RunKind, default_created_by

ACCESS_TOKEN_HEADER = "x-forwarded-access-token"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", ACCESS_TOKEN_HEADER})
"""Never forwarded to the webserver: the user's token and the login's session cookie."""
PARENT_RUN_QUERY = """
query HawkParentRun($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { jobName runConfigYaml } }
}
"""

Authenticate = Callable[[str], Identity]
"""access token -> the caller; raises ProxyDenied (401, or 503 when the issuer is unreachable)."""
ADMIN_GROUP_ENV = "HAWK_ADMIN_GROUP"
DEFAULT_ADMIN_GROUP = "hawk-admin"


class ProxySettings(BaseModel):
    """Where the internal dagster-webserver is, and which group may use the UI."""

    webserver_url: str = Field(description="The internal dagster-webserver (the API's HAWK_DAGSTER_URL).")
    admin_group: str = Field(
        default=DEFAULT_ADMIN_GROUP, description=f"The group the UI requires (${ADMIN_GROUP_ENV})."
    )


class ProxyDenied(Exception):
    """The caller may not use the UI: an HTTP status and one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def bearer_token(connection: HTTPConnection) -> str | None:
    """The access token oauth2-proxy forwards, else an `Authorization: Bearer` token."""
    forwarded = connection.headers.get(ACCESS_TOKEN_HEADER)
    if forwarded:
        return forwarded.strip()
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP | CREDENTIAL_HEADERS}


def graphql_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


def create_dagster_proxy(
    settings: ProxySettings,
    *,
    authenticate: Authenticate | None,
    check_run: RunAccessCheck,
    grant_key: bytes | None,
    local_user: Identity | None = None,
) -> Starlette:
    """The proxy app. `authenticate=None` means auth is off (local mode): `local_user` is the operator."""
    upstream = settings.webserver_url.rstrip("/")
    client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0))

    async def operator(connection: HTTPConnection) -> Identity:
        if authenticate is None:
            assert local_user is not None, "auth off needs a local_user"
            return local_user
        token = bearer_token(connection)
        if token is None:
            raise ProxyDenied(401, "log in first: no access token reached the Dagster UI proxy")
        identity = await asyncio.to_thread(authenticate, token)  # may fetch the issuer's keys
        if settings.admin_group not in identity.permissions:
            raise ProxyDenied(
                403, f"the Dagster UI is for group {settings.admin_group}; {identity.created_by} is not in it"
            )
        return identity

    def parent_run_reader(graphql_url: str) -> ParentRun:
        async def parent_run(run_id: str) -> tuple[str, str]:
            try:
                response = await client.post(
                    graphql_url, json={"query": PARENT_RUN_QUERY, "variables": {"runId": run_id}}
                )
                result = (response.json().get("data") or {}).get("runOrError") or {}
            except (httpx.HTTPError, ValueError) as exc:
                raise LaunchRefused(
                    f"cannot read run {run_id} to re-execute ({type(exc).__name__})"
                ) from None
            if result.get("__typename") != "Run":
                raise LaunchRefused(f"run {run_id} to re-execute was not found")
            return str(result["jobName"]), str(result.get("runConfigYaml") or "")

        return parent_run

    async def launch_checked_body(request: Request, identity: Identity, body: bytes) -> bytes:
        """The request body with launches granted; refuses launches it cannot check."""
        if request.path_params.get("path") != "graphql":
            return body
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and "application/json" in content_type:
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                return body  # the webserver answers invalid JSON itself
            if not isinstance(payload, dict):
                return body
            if isinstance(payload.get("variables"), str):
                with suppress(ValueError):
                    payload["variables"] = json.loads(payload["variables"])
            reader = parent_run_reader(f"{upstream}/graphql")
            granted = await grant_graphql_request(UiLauncher(identity, grant_key, check_run, reader), payload)
            return json.dumps(granted).encode() if granted != payload else body
        # GET, application/graphql and form posts: queries pass, launches must be JSON posts
        query = request.query_params.get("query")
        if "application/graphql" in content_type:
            query = body.decode(errors="replace")
        if query and launch_fields(query, request.query_params.get("operationName")):
            raise LaunchRefused("send launch mutations as a JSON POST with variables")
        return body

    async def http_proxy(request: Request) -> Response:
        try:
            identity = await operator(request)
            body = await launch_checked_body(request, identity, await request.body())
        except ProxyDenied as exc:
            return graphql_error(exc.status, str(exc))
        except LaunchRefused as exc:
            return graphql_error(403, f"launch refused: {exc}")
        url = httpx.URL(f"{upstream}/{request.path_params['path']}", query=request.url.query.encode())
        upstream_request = client.build_request(
            request.method, url, headers=forwarded_headers(request.headers), content=body
        )
        try:
            response = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            return graphql_error(
                502, f"the Dagster webserver is unreachable ({type(exc).__name__}): try again"
            )
        headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            headers=headers,
            background=BackgroundTask(response.aclose),
        )

    async def websocket_proxy(websocket: WebSocket) -> None:
        try:
            await operator(websocket)
        except ProxyDenied:
            await websocket.close(code=1008)
            return
        path = "/" + str(websocket.path_params["path"])
        query = f"?{websocket.url.query}" if websocket.url.query else ""
        target = upstream.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + path + query
        protocols = [
            p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()
        ]
        # No size limit from the (internal, trusted) webserver: a run's log batches can exceed the 1 MiB default.
        async with websockets.connect(
            target, subprotocols=[websockets.Subprotocol(p) for p in protocols] or None, max_size=None
        ) as server:
            await websocket.accept(subprotocol=server.subprotocol)

            async def client_to_server() -> None:
                while True:
                    text = await websocket.receive_text()
                    message = _json_object(text)
                    payload = message.get("payload") if message else None
                    if (
                        isinstance(payload, dict)
                        and isinstance(payload.get("query"), str)
                        and is_mutation(payload["query"])
                    ):
                        await websocket.send_text(
                            json.dumps(
                                {
                                    "type": "error",
                                    "id": message.get("id") if message else None,
                                    "payload": {"message": "mutations go over HTTP, not the websocket"},
                                }
                            )
                        )
                        continue
                    await server.send(text)

            async def server_to_client() -> None:
                async for data in server:
                    if isinstance(data, bytes):
                        await websocket.send_bytes(data)
                    else:
                        await websocket.send_text(data)

            tasks = [asyncio.create_task(client_to_server()), asyncio.create_task(server_to_client())]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with suppress(asyncio.CancelledError, WebSocketDisconnect, websockets.ConnectionClosed):
                        await task
        with suppress(RuntimeError):
            await websocket.close()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(
        routes=[
            WebSocketRoute("/{path:path}", websocket_proxy),
            Route("/{path:path}", http_proxy, methods=methods),
        ],
        lifespan=lifespan,
    )


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def api_access_check(api: ApiSettings) -> RunAccessCheck:
    """The API's access rules for a launch, over the registry in the warehouse (cross-lab scans refused:
    the Launchpad has no way to allow one)."""
    from hawk_dagster.api.access_checks import AccessChecks
    from hawk_dagster.api.problems import Problem

    checks = AccessChecks(api.database_url)

    def check_run(identity: Identity, kind: RunKind[Any], config: Any) -> Mapping[str, str]:
        store = LogStore.from_root(api.log_root)
        try:
            return checks.run_model_groups(identity, kind, config, store, allow_cross_lab=False).groups
        except Problem as exc:
            raise LaunchRefused(exc.detail) from None

    return check_run


def dagster_proxy_app(api: ApiSettings) -> Starlette:
    """The proxy the API mounts at `/dagster`, wired from the API's settings: its token validation, its
    launch rules (`api_access_check`), the grant key, and `$HAWK_ADMIN_GROUP`."""
    check_run = api_access_check(api)

    settings = ProxySettings(
        webserver_url=api.dagster_url,
        admin_group=os.environ.get(ADMIN_GROUP_ENV, "").strip() or DEFAULT_ADMIN_GROUP,
    )
    if not api.auth.enabled:
        local = local_identity(default_created_by())
        return create_dagster_proxy(
            settings, authenticate=None, check_run=check_run, grant_key=grant_key_from_env(), local_user=local
        )

    from hawk_dagster.auth.discovery import IssuerUnavailable
    from hawk_dagster.auth.tokens import TokenError, TokenValidator

    validator = TokenValidator(api.auth)

    def authenticate(token: str) -> Identity:
        try:
            return validator.validate(token)
        except TokenError as exc:
            raise ProxyDenied(401, f"access token refused: {exc}") from None
        except IssuerUnavailable as exc:
            raise ProxyDenied(503, f"the token issuer is unreachable: {exc}") from None

    return create_dagster_proxy(
        settings, authenticate=authenticate, check_run=check_run, grant_key=grant_key_from_env()
    )
