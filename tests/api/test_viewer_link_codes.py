"""The viewer's one-time login codes across API replicas: two real `hawk serve` processes on one warehouse,
tokens from the real OIDC provider. A code issued by one replica logs the browser in on the other, once; the
warehouse holds neither the code nor the token; an expired code is refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from hawk_dagster.api.link_codes import LINK_CODE_TABLE
from tests.api.conftest import stack_env
from tests.fixtures.api import running_api
from tests.fixtures.oidc import Account, OIDCProvider
from tests.fixtures.postgres import temporary_database

pytestmark = pytest.mark.timeout(300)

ALICE = Account("alice", "alice@example.com", ("model-access-offline",))


@dataclass
class Replicas:
    urls: tuple[str, str]
    database_url: str
    token: str

    def issue(self, replica: int) -> str:
        response = httpx.post(
            f"{self.urls[replica]}/view/link", headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return str(response.json()["code"])

    def login(self, replica: int, code: str) -> httpx.Response:
        return httpx.get(
            f"{self.urls[replica]}/view/login", params={"code": code, "next": "/view/"}, timeout=30
        )


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory,
    oidc_provider: OIDCProvider,
    postgres_url: str,
    warehouse_template: str,
) -> Iterator[Replicas]:
    work_dir = tmp_path_factory.mktemp("replicas")
    (work_dir / "logs").mkdir()
    with temporary_database(postgres_url, "hawk_link_codes", template=warehouse_template) as database_url:
        env = stack_env(work_dir, HAWK_DATABASE_URL=database_url, **oidc_provider.env())
        env.pop("HAWK_ENV", None)
        with ExitStack() as stack:
            urls = tuple(
                stack.enter_context(running_api("http://127.0.0.1:9", env, Path(work_dir / f"api{i}.log")))
                for i in range(2)
            )
            token = str(oidc_provider.token_for(ALICE)["access_token"])
            yield Replicas((urls[0], urls[1]), database_url, token)


def test_a_code_issued_by_one_replica_logs_in_on_the_other_once(replicas: Replicas) -> None:
    code = replicas.issue(0)
    login = replicas.login(1, code)
    assert login.status_code == 303, login.text
    assert login.cookies and replicas.token in login.headers["set-cookie"]
    again = replicas.login(0, code)
    assert again.status_code == 401 and "used or expired" in again.json()["detail"]


def test_the_warehouse_holds_neither_the_code_nor_the_token(replicas: Replicas) -> None:
    code = replicas.issue(1)
    with psycopg.connect(replicas.database_url) as connection:
        rows = connection.execute(f"SELECT code_id, sealed_token FROM {LINK_CODE_TABLE}").fetchall()
    stored = b"".join(bytes(column) for row in rows for column in row)
    assert rows
    assert code.encode() not in stored and replicas.token.encode() not in stored
    assert replicas.token.encode()[:24] not in stored
    assert replicas.login(0, code).status_code == 303


def test_an_expired_code_is_refused(replicas: Replicas) -> None:
    code = replicas.issue(0)
    with psycopg.connect(replicas.database_url) as connection:
        connection.execute(f"UPDATE {LINK_CODE_TABLE} SET expires_at = now() - interval '1 second'")
    refused = replicas.login(1, code)
    assert refused.status_code == 401 and "used or expired" in refused.json()["detail"]


def test_an_unknown_code_is_refused(replicas: Replicas) -> None:
    assert replicas.login(1, "not-a-code").status_code == 401
