"""The API with auth on: tokens from the real OIDC provider, the model-group registry in a real warehouse,
a launch-grant key shared with the Dagster webserver's runs.

Refusals (401 naming the token's problem, 403 naming models and groups, unknown models, bad configs,
missing secrets) launch nothing and store no secret; a launch runs as the token's user, whatever the
client says, carrying a grant the run's step verifies."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from dagster import DagsterRunStatus
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from hawk_dagster.access.grant import verify_grant
from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry
from hawk_dagster.api.app import create_app
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.cli_tokens import StoredTokens
from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.auth.tokens import CLOCK_SKEW_SECONDS
from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.runs.tags import CREATED_BY_TAG, LAUNCH_GRANT_TAG
from tests.api.conftest import OFFLINE_MODEL, Stack, eval_set_config, running_stack, stack_env
from tests.auth.conftest import rsa_key
from tests.fixtures.cli import hawk
from tests.fixtures.oidc import Account, OIDCProvider
from tests.fixtures.postgres import temporary_database
from tests.fixtures.webserver import wait_for_run

pytestmark = pytest.mark.timeout(600)

GROUP = "model-access-offline"
GRANT_KEY = "api-test-grant-key"
ALICE = Account("alice", "alice@example.com", (GROUP,))
BOB = Account("bob", "bob@example.com", ("model-access-other",))
DAVE = Account("dave", "dave@example.com", (GROUP, "model-access-other"))
CAROL = Account("carol", "carol@example.com", (GROUP,), access_token_ttl=1)


@pytest.fixture(scope="module")
def registry_url(postgres_url: str, warehouse_template: str) -> Iterator[str]:
    """A warehouse whose registry puts the offline model in GROUP (and knows no other hawk-offline model)."""
    with temporary_database(postgres_url, "hawk_api", template=warehouse_template) as url:
        sync_registry(
            url,
            ModelGroupRegistry(
                models={OFFLINE_MODEL: GROUP, "openai/gpt-4o": "model-access-other"},
                labs={OFFLINE_MODEL: "hawk", "openai/gpt-4o": "openai"},
            ),
        )
        yield url


@pytest.fixture(scope="module")
def expiring_token(oidc_provider: OIDCProvider) -> str:
    """Carol's token, valid for one second: taken first, used last (after the clock skew has passed)."""
    return str(oidc_provider.token_for(CAROL)["access_token"])


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    oidc_provider: OIDCProvider,
    registry_url: str,
    expiring_token: str,
) -> Iterator[Stack]:
    work_dir = tmp_path_factory.mktemp("api-auth")
    env = stack_env(
        work_dir, HAWK_DATABASE_URL=registry_url, HAWK_LAUNCH_GRANT_KEY=GRANT_KEY, **oidc_provider.env()
    )
    env.pop("HAWK_ENV", None)
    with running_stack(work_dir, env) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(oidc_provider: OIDCProvider) -> dict[str, str]:
    return {
        account.sub: str(oidc_provider.token_for(account)["access_token"]) for account in (ALICE, BOB, DAVE)
    }


def jwks_document(issuer: str) -> dict[str, Any]:
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    document: dict[str, Any] = httpx.get(discovery["jwks_uri"]).json()
    return document


def refused(stack: Stack, body: dict[str, Any], token: str | None, status: int) -> dict[str, Any]:
    """POST /eval_sets, expecting a problem document; checks that nothing was launched or stored."""
    runs_before = stack.run_count()
    response = stack.post("/eval_sets", body, token)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"]
    assert stack.run_count() == runs_before
    assert stack.stored_secrets() == []
    return problem


def launch_body(name: str = "auth", **extra: Any) -> dict[str, Any]:
    return {
        "eval_set_config": eval_set_config(name, secrets=["API_TOKEN"]),
        "secrets": {"API_TOKEN": "token-value-5521"},
        **extra,
    }


def forged(provider: OIDCProvider, **claims: Any) -> str:
    """A token with the provider's key id and plausible claims, signed with another key."""
    kid = jwks_document(provider.issuer)["keys"][0]["kid"]
    now = int(time.time())
    payload = {"iss": provider.issuer, "aud": provider.audience, "sub": "alice", "exp": now + 300, **claims}
    return jwt.encode({"alg": "RS256", "kid": kid}, payload, rsa_key(kid))


def test_no_token_is_401(stack: Stack) -> None:
    problem = refused(stack, launch_body(), None, 401)
    assert "no access token" in problem["detail"]
    assert stack.post("/eval_sets", launch_body()).headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("make_token", "expected"),
    [
        pytest.param(lambda provider: forged(provider, permissions=[GROUP]), "bad signature", id="forged"),
        pytest.param(
            lambda provider: jwt.encode(
                {"alg": "RS256", "kid": "not-the-issuers"},
                {"iss": provider.issuer, "aud": provider.audience, "sub": "x", "exp": int(time.time()) + 60},
                rsa_key("not-the-issuers"),
            ),
            "unknown key",
            id="unknown-key",
        ),
        pytest.param(lambda _provider: "not-a-jwt", "malformed token", id="malformed"),
    ],
)
def test_a_hand_made_token_is_401_naming_the_problem(
    stack: Stack, oidc_provider: OIDCProvider, make_token: Any, expected: str
) -> None:
    problem = refused(stack, launch_body(), make_token(oidc_provider), 401)
    assert expected in problem["detail"], problem


def test_a_token_for_another_audience_is_401(
    oidc_provider: OIDCProvider, registry_url: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    auth = AuthSettings(issuer=oidc_provider.issuer, audience="https://another-api.example")
    settings = ApiSettings(log_root=str(tmp_path / "logs"), database_url=registry_url, auth=auth)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/eval_sets", json=launch_body(), headers={"Authorization": f"Bearer {tokens['alice']}"}
        )
    assert response.status_code == 401 and "wrong audience" in response.json()["detail"]
    assert not (tmp_path / "logs" / "evals").exists()


def test_lacking_the_models_group_is_403_naming_models_and_groups(
    stack: Stack, tokens: dict[str, str]
) -> None:
    problem = refused(stack, launch_body(), tokens["bob"], 403)
    assert OFFLINE_MODEL in problem["detail"] and GROUP in problem["detail"]


def test_a_model_role_counts_too(stack: Stack, tokens: dict[str, str]) -> None:
    body = launch_body()
    body["eval_set_config"]["models"] = []
    body["eval_set_config"]["model_roles"] = {
        "grader": {
            "package": "./examples/hawk-examples",
            "name": "hawk-offline",
            "items": [{"name": "careful"}],
        }
    }
    problem = refused(stack, body, tokens["bob"], 403)
    assert OFFLINE_MODEL in problem["detail"]


def test_an_unknown_model_is_refused(stack: Stack, tokens: dict[str, str]) -> None:
    body = launch_body()
    body["eval_set_config"]["models"][0]["items"] = [{"name": "unlisted"}]
    problem = refused(stack, body, tokens["alice"], 422)
    assert "hawk-offline/unlisted" in problem["detail"]


def test_a_bad_config_is_422_with_field_paths(stack: Stack, tokens: dict[str, str]) -> None:
    body = launch_body()
    body["eval_set_config"]["runner"]["memory"] = "lots"
    problem = refused(stack, body, tokens["alice"], 422)
    assert any(line.startswith("runner.memory: ") for line in problem["errors"]), problem


def test_missing_secrets_are_422(stack: Stack, tokens: dict[str, str]) -> None:
    problem = refused(stack, launch_body(secrets={}), tokens["alice"], 422)
    assert "missing required secrets: API_TOKEN" in problem["detail"]


def test_a_launch_runs_as_the_tokens_user_with_a_grant_the_step_verifies(
    stack: Stack, tokens: dict[str, str]
) -> None:
    response = stack.post(
        "/eval_sets", launch_body("granted", created_by="mallory@example.com"), tokens["alice"]
    )
    assert response.status_code == 200, response.text
    created = response.json()
    eval_set_id, run_id = created["eval_set_id"], created["run_id"]

    tags = stack.run_tags(run_id)
    assert tags[CREATED_BY_TAG] == ALICE.email
    op_config = stack.op_config(run_id, EVAL_SET.names.op_name)
    assert op_config["created_by"] == ALICE.email
    grant = verify_grant(
        tags[LAUNCH_GRANT_TAG],
        GRANT_KEY.encode(),
        job_type="eval-set",
        job_id=eval_set_id,
        config_data=op_config[EVAL_SET.names.config_key],
    )
    assert grant.created_by == ALICE.email and grant.model_groups == [GROUP]
    models = stack.models_file("evals", eval_set_id)
    assert models["model_names"] == [OFFLINE_MODEL] and models["model_groups"] == [GROUP]

    assert wait_for_run(stack.dagster_url, run_id) == DagsterRunStatus.SUCCESS  # the step accepted the grant
    assert stack.get(f"/runs/{run_id}", tokens["alice"]).json()["status"] == "SUCCESS"
    assert stack.get(f"/eval_sets/{eval_set_id}/config", tokens["alice"]).json()["name"] == "granted"
    for path in (f"/eval_sets/{eval_set_id}/config", f"/runs/{run_id}"):
        denied = stack.get(path, tokens["bob"])
        assert denied.status_code == 403 and GROUP in denied.json()["detail"], path
        assert stack.get(path).status_code == 401


def test_hawk_eval_set_sends_the_stored_login(
    stack: Stack, oidc_provider: OIDCProvider, tmp_path: Path, repo_root: Path
) -> None:
    config = tmp_path / "cli.yaml"
    config.write_text(yaml.safe_dump(eval_set_config("cli-auth", secrets=["API_TOKEN"])))
    env = {**stack.env, "HAWK_API_URL": stack.api_url, "API_TOKEN": "cli-token-value"}

    def hawk_as(account: Account | None) -> subprocess.CompletedProcess[str]:
        home = tmp_path / (account.sub if account else "nobody")
        if account is not None:
            issued = oidc_provider.token_for(account)
            stored = StoredTokens(
                issuer=oidc_provider.issuer,
                access_token=issued["access_token"],
                refresh_token=issued.get("refresh_token"),
                expires_at=time.time() + float(issued["expires_in"]),
            )
            (home / "hawk-dagster").mkdir(parents=True)
            (home / "hawk-dagster" / "tokens.json").write_text(stored.model_dump_json())
        return hawk(
            ["eval-set", str(config), "--secret", "API_TOKEN"],
            repo_root,
            {**env, "XDG_CONFIG_HOME": str(home)},
        )

    anonymous = hawk_as(None)
    assert anonymous.returncode == 1 and "hawk login" in anonymous.stderr, anonymous.stderr
    lacking = hawk_as(BOB)
    assert lacking.returncode == 1
    (line,) = lacking.stderr.strip().splitlines()
    assert GROUP in line and OFFLINE_MODEL in line

    allowed = hawk_as(ALICE)
    assert allowed.returncode == 0, allowed.stderr
    run_id = allowed.stdout.strip().splitlines()[-1].rsplit("/", 1)[-1]
    assert stack.run_tags(run_id)[CREATED_BY_TAG] == ALICE.email
    assert wait_for_run(stack.dagster_url, run_id) == DagsterRunStatus.SUCCESS


def test_scans_check_the_scanned_eval_sets_and_the_cross_lab_guard(
    stack: Stack, tokens: dict[str, str], repo_root: Path
) -> None:
    source = stack.log_root / "evals" / "openai-evals"
    source.mkdir(parents=True)
    (source / "run.eval").write_bytes(b"")
    (source / ".models.json").write_text(
        json.dumps({"model_names": ["openai/gpt-4o"], "model_groups": ["model-access-other"]})
    )
    scan = yaml.safe_load((repo_root / "examples" / "simple.scan.yaml").read_text())
    scan["transcripts"]["sources"] = [{"eval_set_id": "openai-evals"}]

    def refused_scan(token: str, status: int) -> str:
        runs_before = stack.run_count()
        response = stack.post("/scans", {"scan_config": scan, "secrets": {}}, token)
        assert response.status_code == status, response.text
        assert stack.run_count() == runs_before and stack.stored_secrets() == []
        assert not (stack.log_root / "scans").exists() or list((stack.log_root / "scans").iterdir()) == []
        return str(response.json()["detail"])

    # alice may use the scanner model but not read the scanned eval set
    assert "model-access-other" in refused_scan(tokens["alice"], 403)
    # dave may do both, but the scan would send an openai eval set to another lab's model
    detail = refused_scan(tokens["dave"], 403)
    assert "openai/gpt-4o" in detail and "allow_sensitive_cross_lab_scan" in detail


def test_an_expired_token_is_401(stack: Stack, expiring_token: str) -> None:
    issuer = stack.env["HAWK_MODEL_ACCESS_TOKEN_ISSUER"]
    claims = jwt.decode(expiring_token, KeySet.import_key_set(jwks_document(issuer))).claims
    wait = claims["exp"] + CLOCK_SKEW_SECONDS + 1 - time.time()
    if wait > 0:
        time.sleep(wait)
    problem = refused(stack, launch_body(), expiring_token, 401)
    assert "expired token" in problem["detail"]
