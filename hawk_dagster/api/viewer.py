"""The log viewer, served by the API: Inspect's own view server over the eval-set folders of the log store.

- `/view/logs/...`: Inspect's view-server JSON API (`view_server_app`) with a mapping policy (a path
  `<eval_set_id>/<file>` is `<log root>/evals/<eval_set_id>/<file>`) and an access policy (read and list
  only eval-set folders the caller may read by the folder rule; the root is never listed; nothing is
  deleted or edited). Every refusal is the same 403, whether the folder exists or not. S3 logs are read
  by the API and streamed; no presigned URL is handed out.
- `/view/eval-set/<id>`: redirects to the viewer page on that folder (`hawk web`).
- `/view/`: Inspect's viewer page (its built `dist`), with a small script that sends its API calls
  (`/api/...` in the standalone viewer) to `/view/logs/...`.
- `/view/link` + `/view/login?code=`: with auth on, the CLI trades its bearer token for a one-time code
  (60 s, single use) and prints a link; opening it stores the token in an HttpOnly cookie, so the viewer
  page works without a token in its URL (a code in an address bar or access log is useless once used).
- `/permalink/sample/{uuid}`: the warehouse names the sample's log file, id and epoch; redirects to the
  viewer page showing it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from hawk_dagster.access.folders import FolderNotFound, check_folder_read
from hawk_dagster.access.permissions import AccessDenied
from hawk_dagster.api.access_checks import AccessChecks
from hawk_dagster.api.identity import BEARER_CHALLENGE, unauthorized
from hawk_dagster.api.link_codes import LinkCodes, link_codes
from hawk_dagster.api.problems import Problem, install_handlers
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.identity import Identity, local_identity
from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.runs.kind import default_created_by
from hawk_dagster.warehouse.schema import RAW_SCHEMA

VIEW_MOUNT = "/view"
LOGS_PATH = "/logs"
"""Inspect's view-server API, under VIEW_MOUNT."""
SHIM_NAME = "hawk-viewer.js"
COOKIE_NAME = "hawk_viewer_token"
IDENTITY_STATE = "hawk_identity"
NOT_FOUND_HINT = "Check the uuid (`hawk list samples` lists the samples you may read)"

# Sends the standalone viewer's API calls (`/api/...`, same origin) to the API's mount.
SHIM_JS = """(() => {
  const api = "/api", target = "%(logs)s";
  const rewrite = (url) => {
    const u = new URL(url, window.location.href);
    if (u.origin === window.location.origin && (u.pathname === api || u.pathname.startsWith(api + "/"))) {
      u.pathname = target + u.pathname.slice(api.length);
      return u.toString();
    }
    return null;
  };
  const original = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === "string" || input instanceof URL ? String(input) : input.url;
    const moved = rewrite(url);
    if (moved === null) return original(input, init);
    return original(typeof input === "string" || input instanceof URL ? moved : new Request(moved, input), init);
  };
})();
"""


def viewer_url(
    eval_set_id: str | None = None, log_file: str | None = None, sample: tuple[str, int] | None = None
) -> str:
    """The viewer page's path: an eval set's folder, optionally one of its log files (a name relative to
    the folder) and one sample of it."""
    query = {"inspect_server": "true"}
    if eval_set_id:
        query["log_dir"] = eval_set_id
    url = f"{VIEW_MOUNT}/?{urllib.parse.urlencode(query)}"
    if log_file:
        fragment = f"/logs/{urllib.parse.quote(log_file, safe='/')}"
        if sample is not None:
            sample_id, epoch = sample
            fragment += f"/samples/sample/{urllib.parse.quote(sample_id, safe='')}/{epoch}/"
        url += f"#{fragment}"
    return url


def viewer_identity(settings: ApiSettings) -> Callable[[Request], Identity]:
    """The caller: local mode's user, else the bearer token of the Authorization header or the viewer
    cookie (set by `/view/login`); a 401 problem naming what is missing."""
    if not settings.auth.enabled:
        user = local_identity(default_created_by())
        return lambda _request: user

    from hawk_dagster.auth.discovery import IssuerUnavailable
    from hawk_dagster.auth.tokens import TokenError, TokenValidator

    validator = TokenValidator(settings.auth)

    def resolve(request: Request) -> Identity:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            token = request.cookies.get(COOKIE_NAME, "")
        if not token.strip():
            raise unauthorized(
                "no access token: open the link `hawk web` prints (or send `Authorization: Bearer <token>`)"
            )
        try:
            return validator.validate(token.strip())
        except TokenError as exc:
            raise unauthorized(f"{exc} (run `hawk web` again for a fresh link)") from None
        except IssuerUnavailable as exc:
            raise Problem(503, "Try again later: the token issuer is unreachable", str(exc)) from None

    return resolve


class IdentityGate:
    """ASGI wrapper: resolves the caller once per request into the scope's state (a 401 problem when
    there is none), for the access policy below."""

    def __init__(self, app: ASGIApp, resolve: Callable[[Request], Identity]) -> None:
        self.app = app
        self.resolve = resolve

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            identity = await run_in_threadpool(self.resolve, Request(scope))
        except Problem as problem:
            await problem.response()(scope, receive, send)
            return
        scope.setdefault("state", {})[IDENTITY_STATE] = identity
        await self.app(scope, receive, send)


def eval_set_of(path: str) -> str | None:
    """The eval-set id of a relative viewer path (its first segment); None for the root or a bad path."""
    parts = path.strip("/").split("/")
    if not parts[0] or any(part in ("", ".", "..") for part in parts) or "\\" in path or ":" in parts[0]:
        return None
    return parts[0]


class EvalSetMapping:
    """Inspect's FileMappingPolicy: `<eval_set_id>/<file>` <-> `<log root>/evals/<eval_set_id>/<file>`."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.base = store.uri(EVALS_PREFIX).rstrip("/")

    async def map(self, request: Request, file: str) -> str:
        return f"{self.base}/{file.strip('/')}" if file.strip("/") else self.base

    async def unmap(self, request: Request, file: str) -> str:
        for base in (self.base, f"file://{self.base}"):
            if file == base:
                return ""
            if file.startswith(base + "/"):
                return file[len(base) + 1 :]
        return file


class EvalSetAccess:
    """Inspect's AccessPolicy: read and list inside an eval-set folder the caller may read; never the
    root, never delete or write. Every refusal is Inspect's bare 403 (no hint whether the folder exists)."""

    def __init__(self, store: LogStore, checks: AccessChecks) -> None:
        self.store = store
        self.checks = checks

    def may_read(self, identity: Identity, eval_set_id: str) -> bool:
        try:
            check_folder_read(identity, self.store, EVALS_PREFIX, eval_set_id, self.checks.registry)
        except (AccessDenied, FolderNotFound):
            return False
        return True

    async def can_read(self, request: Request, file: str) -> bool:
        eval_set_id = eval_set_of(file)
        identity = request.scope.get("state", {}).get(IDENTITY_STATE)
        if eval_set_id is None or not isinstance(identity, Identity):
            return False
        return await run_in_threadpool(self.may_read, identity, eval_set_id)

    async def can_list(self, request: Request, dir: str) -> bool:
        return await self.can_read(request, dir)

    async def can_delete(self, request: Request, file: str) -> bool:
        return False

    async def can_write(self, request: Request, file: str) -> bool:
        return False


def inspect_dist() -> Path:
    from inspect_ai._view._dist import resolve_dist_directory

    return resolve_dist_directory()


def viewer_page(dist: Path) -> str:
    """Inspect's index.html with the shim loaded before the viewer's own module script."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    tag = f'<script src="./{SHIM_NAME}"></script>\n    <script type="module"'
    return html.replace('<script type="module"', tag, 1)


def viewer_app(settings: ApiSettings, checks: AccessChecks, codes: LinkCodes) -> FastAPI:
    """The app mounted at VIEW_MOUNT."""
    from inspect_ai._view._csp import read_content_security_policy
    from inspect_ai._view.fastapi_server import view_server_app

    store = LogStore.from_root(settings.log_root)
    resolve = viewer_identity(settings)
    access = EvalSetAccess(store, checks)
    inspect_api = view_server_app(
        mapping_policy=EvalSetMapping(store),
        access_policy=access,
        default_dir="",
        recursive=False,
        generate_direct_urls=False,
        allow_direct_urls=False,
    )
    install_handlers(inspect_api)
    dist = inspect_dist()
    page = viewer_page(dist)
    page_headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    policy = read_content_security_policy(dist)  # Inspect's own policy for its page (logs are untrusted)
    if policy is not None:
        page_headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    install_handlers(app)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    @app.get(f"/{SHIM_NAME}", include_in_schema=False)
    def shim() -> Response:
        return Response(SHIM_JS % {"logs": VIEW_MOUNT + LOGS_PATH}, media_type="text/javascript")

    @app.post("/link")
    def link(request: Request) -> dict[str, str]:
        """A one-time code for `/view/login` (auth on), for the bearer token of this request."""
        resolve(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("send `Authorization: Bearer <token>` to get a viewer link")
        return {"code": codes.issue(token.strip())}

    @app.get("/login", include_in_schema=False)
    def login(request: Request, code: str = "", next: str = f"{VIEW_MOUNT}/") -> Response:
        """Trade a one-time code for the viewer cookie, then go to `next` (a path of this API)."""
        token = codes.redeem(code)
        if token is None:
            raise Problem(
                401, "Run `hawk web` again", "the viewer link is used or expired", headers=BEARER_CHALLENGE
            )
        if not next.startswith("/") or next.startswith("//"):
            next = f"{VIEW_MOUNT}/"
        response = RedirectResponse(next, status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @app.get("/eval-set/{eval_set_id}", include_in_schema=False)
    def eval_set(eval_set_id: str, request: Request) -> RedirectResponse:
        """The viewer page on an eval set's folder (`hawk web`); 403 when the caller may not read it."""
        identity = resolve(request)
        if eval_set_of(eval_set_id) != eval_set_id or not access.may_read(identity, eval_set_id):
            raise Problem(
                403, "Ask an administrator for access to this eval set", f"you may not read {eval_set_id}"
            )
        return RedirectResponse(viewer_url(eval_set_id), status_code=307)

    app.mount(LOGS_PATH, IdentityGate(inspect_api, resolve))
    app.mount("/", StaticFiles(directory=dist, html=True), name="viewer-assets")
    return app


def find_sample(database_url: str, uuid: str) -> dict[str, Any] | None:
    """The sample's eval-set id, log location, id and epoch from the warehouse; None if unknown."""
    from hawk_dagster.warehouse.database import connect

    query = (
        f"SELECT e.eval_set_id, e.location, s.id, s.epoch FROM {RAW_SCHEMA}.sample s "
        f"JOIN {RAW_SCHEMA}.eval e ON e.pk = s.eval_pk WHERE s.uuid = %s LIMIT 1"
    )
    with connect(database_url) as connection:
        row = connection.execute(query, (uuid,)).fetchone()
    if row is None:
        return None
    return {"eval_set_id": row[0], "location": row[1], "id": str(row[2]), "epoch": int(row[3])}


def mount_viewer(app: FastAPI, settings: ApiSettings, checks: AccessChecks) -> None:
    """Serve the viewer at VIEW_MOUNT and the sample permalink route on `app`."""
    codes = link_codes(settings.database_url)
    resolve = viewer_identity(settings)
    store = LogStore.from_root(settings.log_root)
    app.mount(VIEW_MOUNT, viewer_app(settings, checks, codes))

    def permalink(uuid: str, request: Request) -> RedirectResponse:
        identity = resolve(request)
        if settings.database_url is None:
            raise Problem(503, "Set HAWK_DATABASE_URL", "the API has no warehouse to look samples up in")
        sample = find_sample(settings.database_url, uuid)
        missing = Problem(404, NOT_FOUND_HINT, f"sample {uuid} not found")
        if sample is None:
            raise missing
        if not EvalSetAccess(store, checks).may_read(identity, sample["eval_set_id"]):
            raise missing  # the same answer as an unknown uuid: no existence leak
        folder = f"{EVALS_PREFIX}/{sample['eval_set_id']}/"
        try:
            key = store.relpath(sample["location"])
        except Exception:
            key = ""
        if not key.startswith(folder):
            raise Problem(
                409, "Re-import the log", f"sample {uuid}'s log {sample['location']} is not under {folder}"
            )
        log_file = key[len(folder) :]
        target = viewer_url(sample["eval_set_id"], log_file, (sample["id"], sample["epoch"]))
        return RedirectResponse(target, status_code=307)

    app.add_api_route("/permalink/sample/{uuid}", permalink, methods=["GET"])
