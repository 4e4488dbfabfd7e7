"""Fixtures for the access tests: login roles on the test server, the dbt fixtures, a log store."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.dbt.conftest import dbt_target_path, dbt_warehouse_url, fresh_warehouse

__all__ = ["dbt_target_path", "dbt_warehouse_url", "fresh_warehouse"]


def role_url(url: str, role: str, password: str) -> str:
    """`url` logging in as `role` instead."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(role)}:{quote(password)}@{host}"))


def unique_name(prefix: str) -> str:
    """A role or group name no other test uses: roles are shared by every database on the server."""
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def login_role(postgres_url: str) -> Iterator[Callable[..., str]]:
    """`login_role(name, *granted_roles)` creates a LOGIN role granted those roles and returns its URL
    (for the database the caller passes as `database_url`); every role made is dropped afterwards."""
    made: list[str] = []

    def make(database_url: str, name: str, *granted: str) -> str:
        password = secrets.token_hex(8)
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(password)
                )
            )
            made.append(name)
            for role in granted:
                connection.execute(
                    sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(name))
                )
        return role_url(database_url, name, password)

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for name in made:
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
