"""A second, hand-controlled issuer for the validator's negative cases: a JWKS the test can rotate, and keys
to sign hand-made JWTs with (expired, forged, wrong audience / issuer)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

AUDIENCE = "https://api.hawk-dagster.test"


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class HandIssuer:
    """An issuer URL serving `keys` as its JWKS (and a discovery document naming it); counts JWKS reads."""

    url: str
    keys: list[RSAKey]
    jwks_reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign(self, key: RSAKey | None = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        """A JWT signed by `key` (default the first published key) with sensible claims, overridden by `claims`."""
        key = key or self.keys[0]
        now = int(time.time())
        payload = {"iss": self.url, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode({"alg": "RS256", "kid": key.kid, **(header or {})}, payload, key)


@pytest.fixture
def hand_issuer() -> Iterator[HandIssuer]:
    issuer = HandIssuer(url="", keys=[rsa_key("key-1")])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body: dict[str, Any]
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
            elif self.path == "/keys":
                with issuer.lock:
                    issuer.jwks_reads += 1
                    body = {"keys": [key.as_dict(private=False) for key in issuer.keys]}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
