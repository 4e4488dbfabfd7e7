"""The log viewer served by a real `hawk serve` with auth on: Inspect's view server over real offline logs,
tokens from the real OIDC provider, the model-group registry and the imported samples in a real warehouse.

A user reads the eval-set folders of their groups; another group's folder is the same 403 whether it
exists or not; the root is never listed, nothing is deleted; a sample's permalink redirects to the viewer
on its log and sample, an unknown (or unreadable) uuid is a 404 naming it; a one-time link sets the
viewer's cookie."""

from __future__ import annotations

import shutil
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from hawk_dagster.access.models_file import write_models_file
from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry
from hawk_dagster.importer.eval_import import import_eval_logs
from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.warehouse.schema import RAW_SCHEMA
from tests.api.conftest import stack_env
from tests.fixtures.api import running_api
from tests.fixtures.oidc import Account, OIDCProvider
from tests.fixtures.postgres import temporary_database

pytestmark = pytest.mark.timeout(600)

GROUP = "model-access-offline"
OTHER_GROUP = "model-access-other"
OWN_SET = "fixture-set"  # the eval-set id the fixture's logs record
OTHER_SET = "other-set"
ALICE = Account("alice", "alice@example.com", (GROUP,))
BOB = Account("bob", "bob@example.com", (OTHER_GROUP,))
OFFLINE_MODELS = ["hawk-offline/careful", "hawk-offline/sloppy"]


@dataclass
class Viewer:
    url: str
    log_root: Path
    database_url: str
    tokens: dict[str, str]

    def get(self, path: str, user: str | None = "alice", **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]

    def own_logs(self) -> list[str]:
        return sorted(p.name for p in (self.log_root / EVALS_PREFIX / OWN_SET).glob("*.eval"))


@pytest.fixture(scope="module")
def viewer(
    tmp_path_factory: pytest.TempPathFactory,
    eval_set_logs: Path,
    oidc_provider: OIDCProvider,
    postgres_url: str,
    warehouse_template: str,
) -> Iterator[Viewer]:
    work_dir = tmp_path_factory.mktemp("viewer")
    log_root = work_dir / "logs"
    shutil.copytree(eval_set_logs, log_root / EVALS_PREFIX / OWN_SET)
    shutil.copytree(eval_set_logs, log_root / EVALS_PREFIX / OTHER_SET)
    store = LogStore.from_root(str(log_root))
    write_models_file(store, EVALS_PREFIX, OWN_SET, OFFLINE_MODELS, [GROUP])
    write_models_file(store, EVALS_PREFIX, OTHER_SET, ["openai/gpt-4o"], [OTHER_GROUP])
    with temporary_database(postgres_url, "hawk_viewer", template=warehouse_template) as database_url:
        sync_registry(
            database_url,
            ModelGroupRegistry(
                models={**{model: GROUP for model in OFFLINE_MODELS}, "openai/gpt-4o": OTHER_GROUP},
                labs={**{model: "hawk" for model in OFFLINE_MODELS}, "openai/gpt-4o": "openai"},
            ),
        )
        keys = [
            f"{EVALS_PREFIX}/{OWN_SET}/{p.name}" for p in (log_root / EVALS_PREFIX / OWN_SET).glob("*.eval")
        ]
        results = import_eval_logs(database_url, store, keys)
        assert all(not getattr(result, "error", None) for result in results), results
        env = stack_env(work_dir, HAWK_DATABASE_URL=database_url, **oidc_provider.env())
        env.pop("HAWK_ENV", None)
        with running_api("http://127.0.0.1:9", env, work_dir / "api.log") as url:
            tokens = {a.sub: str(oidc_provider.token_for(a)["access_token"]) for a in (ALICE, BOB)}
            yield Viewer(url, log_root, database_url, tokens)


def a_sample(viewer: Viewer) -> tuple[str, str, str, int]:
    """(uuid, log file name, sample id, epoch) of one imported sample."""
    with psycopg.connect(viewer.database_url) as connection:
        row = connection.execute(
            f"SELECT s.uuid, e.location, s.id, s.epoch FROM {RAW_SCHEMA}.sample s "
            f"JOIN {RAW_SCHEMA}.eval e ON e.pk = s.eval_pk ORDER BY s.uuid LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0]), Path(str(row[1]).removeprefix("file://")).name, str(row[2]), int(row[3])


def test_reads_own_eval_set(viewer: Viewer) -> None:
    listing = viewer.get(f"/view/logs/logs?log_dir={OWN_SET}")
    assert listing.status_code == 200, listing.text
    names = sorted(entry["name"] for entry in listing.json()["files"])
    assert names == [f"{OWN_SET}/{name}" for name in viewer.own_logs()]
    log = viewer.get(f"/view/logs/logs/{urllib.parse.quote(names[0])}?header-only=0")
    assert log.status_code == 200, log.text
    assert log.json()["eval"]["metadata"]["eval_set_id"] == OWN_SET
    size = viewer.get(f"/view/logs/log-size/{urllib.parse.quote(names[0])}")
    assert int(size.json()) == (viewer.log_root / EVALS_PREFIX / names[0]).stat().st_size


@pytest.mark.parametrize("folder", [OTHER_SET, "no-such-set"])
def test_other_folder_is_the_same_403_whether_or_not_it_exists(viewer: Viewer, folder: str) -> None:
    name = f"{folder}/{viewer.own_logs()[0]}"  # the file exists in other-set, not in no-such-set
    answers = [
        viewer.get(f"/view/logs/logs?log_dir={folder}"),
        viewer.get(f"/view/logs/logs/{urllib.parse.quote(name)}"),
        viewer.get(f"/view/logs/log-bytes/{urllib.parse.quote(name)}?start=0&end=10"),
        viewer.get(f"/view/logs/log-headers?file={urllib.parse.quote(name)}"),
        viewer.get(f"/view/eval-set/{folder}"),
    ]
    assert [a.status_code for a in answers] == [403] * len(answers)
    assert [a.content for a in answers[:4]] == [viewer.get("/view/logs/logs?log_dir=zz-missing").content] * 4
    assert answers[4].json()["detail"] == f"you may not read {folder}"


def test_bob_is_refused_alice_folder(viewer: Viewer) -> None:
    assert viewer.get(f"/view/logs/logs?log_dir={OWN_SET}", user="bob").status_code == 403
    assert viewer.get(f"/view/logs/logs?log_dir={OTHER_SET}", user="bob").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/view/logs/logs",
        "/view/logs/log-dir",
        "/view/logs/logs?log_dir=",
        "/view/logs/logs?log_dir=..%2Fevals",
    ],
)
def test_root_listing_refused(viewer: Viewer, path: str) -> None:
    assert viewer.get(path).status_code == 403


def test_delete_is_refused(viewer: Viewer) -> None:
    name = f"{OWN_SET}/{viewer.own_logs()[0]}"
    response = httpx.delete(
        f"{viewer.url}/view/logs/log-delete/{urllib.parse.quote(name)}",
        headers={"Authorization": f"Bearer {viewer.tokens['alice']}", "X-Inspect-View-Request": "true"},
    )
    assert response.status_code == 403
    assert (viewer.log_root / EVALS_PREFIX / name).exists()


def test_no_token_is_401(viewer: Viewer) -> None:
    response = viewer.get(f"/view/logs/logs?log_dir={OWN_SET}", user=None)
    assert response.status_code == 401
    assert "hawk web" in response.json()["detail"]


def test_permalink_redirects_to_the_sample(viewer: Viewer) -> None:
    sample_uuid, log_name, sample_id, epoch = a_sample(viewer)
    response = viewer.get(f"/permalink/sample/{sample_uuid}")
    assert response.status_code == 307, response.text
    location = response.headers["location"]
    path, _, fragment = location.partition("#")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["log_dir"] == [OWN_SET]
    assert urllib.parse.unquote(fragment) == f"/logs/{log_name}/samples/sample/{sample_id}/{epoch}/"
    # the file it names reads through the viewer's API
    assert viewer.get(f"/view/logs/log-size/{OWN_SET}/{urllib.parse.quote(log_name)}").status_code == 200


def test_permalink_unknown_or_unreadable_is_404(viewer: Viewer) -> None:
    unknown = str(uuid.uuid4())
    response = viewer.get(f"/permalink/sample/{unknown}")
    assert response.status_code == 404
    assert unknown in response.json()["detail"] and "hawk list samples" in response.json()["title"]
    sample_uuid = a_sample(viewer)[0]
    hidden = viewer.get(f"/permalink/sample/{sample_uuid}", user="bob")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"sample {sample_uuid} not found"


def test_login_link_sets_the_viewer_cookie_once(viewer: Viewer) -> None:
    code = httpx.post(
        f"{viewer.url}/view/link", headers={"Authorization": f"Bearer {viewer.tokens['alice']}"}
    ).json()["code"]
    with httpx.Client(base_url=viewer.url) as browser:
        assert browser.get(f"/view/logs/logs?log_dir={OWN_SET}").status_code == 401
        login = browser.get(f"/view/login?code={code}&next=/view/eval-set/{OWN_SET}")
        assert login.status_code == 303 and login.headers["location"] == f"/view/eval-set/{OWN_SET}"
        assert "httponly" in login.headers["set-cookie"].lower()
        assert browser.get(f"/view/logs/logs?log_dir={OWN_SET}").status_code == 200
        assert browser.get(f"/view/logs/logs?log_dir={OTHER_SET}").status_code == 403
        assert browser.get(f"/view/eval-set/{OWN_SET}").status_code == 307
    again = httpx.get(f"{viewer.url}/view/login?code={code}")
    assert again.status_code == 401 and "used or expired" in again.json()["detail"]


def test_s3_logs_are_read_through_the_api(
    tmp_path: Path, eval_set_logs: Path, s3_log_root: str, s3_client: object
) -> None:
    """Local mode over an S3 log root: the viewer lists and reads through the API; no presigned URL."""
    store = LogStore.from_root(s3_log_root)
    names = sorted(p.name for p in eval_set_logs.glob("*.eval"))
    for name in names:
        store.write_bytes(f"{EVALS_PREFIX}/{OWN_SET}/{name}", (eval_set_logs / name).read_bytes())
    write_models_file(store, EVALS_PREFIX, OWN_SET, OFFLINE_MODELS, [])
    env = {**stack_env(tmp_path, HAWK_LOG_ROOT=s3_log_root)}
    for name in [name for name in env if name.startswith("HAWK_MODEL_ACCESS_TOKEN_")]:
        env.pop(name)
    with running_api("http://127.0.0.1:9", env, tmp_path / "api.log") as url:
        listing = httpx.get(f"{url}/view/logs/logs?log_dir={OWN_SET}", timeout=60)
        assert listing.status_code == 200, listing.text
        assert sorted(entry["name"] for entry in listing.json()["files"]) == [f"{OWN_SET}/{n}" for n in names]
        name = urllib.parse.quote(f"{OWN_SET}/{names[0]}")
        info = httpx.get(f"{url}/view/logs/log-info/{name}", timeout=60).json()
        assert "direct_url" not in info and info["size"] == (eval_set_logs / names[0]).stat().st_size
        data = httpx.get(f"{url}/view/logs/log-bytes/{name}?start=0&end=3", timeout=60)
        assert data.content == (eval_set_logs / names[0]).read_bytes()[:4]
        assert httpx.get(f"{url}/view/logs/logs", timeout=60).status_code == 403
