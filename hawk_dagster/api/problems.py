"""RFC 7807 problem documents: every refusal is `application/problem+json` with a `title` that says what
to do, the `status`, and a one-line `detail`; 422s also list their `errors` (one `<field.path>: ...` each)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hawk_dagster.config.errors import format_path

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """A refusal the API answers with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: Sequence[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers

    def document(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.document(), status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


def invalid(title: str, lines: Sequence[str]) -> Problem:
    """422 listing each problem (`<field.path>: <problem> (<fix>)`)."""
    return Problem(422, title, "; ".join(lines), errors=lines)


def _body_error_line(error: Any) -> str:
    location = [part for part in error.get("loc", ()) if part != "body"]
    return f"{format_path(location)}: {error.get('msg', 'invalid')}"


def install_handlers(app: FastAPI) -> None:
    """Problem documents for our refusals, request bodies FastAPI rejects, and plain HTTP errors (404)."""

    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        lines = [_body_error_line(error) for error in exc.errors()]
        return invalid("Fix the request body", lines).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = "Check the URL" if exc.status_code == 404 else "Request refused"
        return Problem(exc.status_code, title, str(exc.detail)).response()
