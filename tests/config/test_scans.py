"""ScanConfig and the transcript filter models."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from hawk_dagster.config import (
    BetweenOperator,
    CustomOperator,
    FieldFilterSet,
    GreaterThanOperator,
    GreaterThanOrEqualOperator,
    ILikeOperator,
    LessThanOperator,
    LessThanOrEqualOperator,
    LikeOperator,
    NotCondition,
    OrCondition,
    ScanConfig,
    ScannerConfig,
    SecretConfig,
    TranscriptFilterConfig,
)
from tests.config.helpers import config_error_lines, load_ok, scan


def where_config(*conditions: Any) -> dict[str, Any]:
    return scan(transcripts={"sources": [], "filter": {"where": list(conditions)}})


def parsed_where(*conditions: Any) -> list[Any]:
    config = load_ok(where_config(*conditions)).config
    assert isinstance(config, ScanConfig) and config.transcripts.filter is not None
    return list(config.transcripts.filter.where)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("completed", "completed"),
        (3, 3),
        (0.5, 0.5),
        (None, None),
        (["a", 1, 2.5], ["a", 1, 2.5]),
        ([], []),
        ({"like": "gpt-%"}, LikeOperator(like="gpt-%")),
        ({"ilike": "%GPT%"}, ILikeOperator(ilike="%GPT%")),
        ({"gt": 0}, GreaterThanOperator(gt=0)),
        ({"ge": 0.5}, GreaterThanOrEqualOperator(ge=0.5)),
        ({"lt": "2024-01-01"}, LessThanOperator(lt="2024-01-01")),
        ({"le": 10}, LessThanOrEqualOperator(le=10)),
        ({"between": [1, 5]}, BetweenOperator(between=(1, 5))),
        ({"operator": "__eq__", "args": [1]}, CustomOperator(operator="__eq__", args=[1])),
    ],
)
def test_field_conditions(condition: Any, expected: Any) -> None:
    (entry,) = parsed_where({"score": condition})
    assert isinstance(entry, FieldFilterSet)
    assert entry.root == {"score": expected}


def test_not_and_or_conditions_use_their_aliases() -> None:
    entries = parsed_where(
        {"eval_status": "success", "sample_metadata.nested.deep": 1},
        {"not": [{"model": {"like": "mock%"}}]},
        {"or": [{"score": 1}, {"score": 0}, {"or": [{"id": "a"}, {"id": "b"}]}]},
    )
    assert isinstance(entries[0], FieldFilterSet) and len(entries[0].root) == 2
    assert isinstance(entries[1], NotCondition)
    assert entries[1].not_[0] == FieldFilterSet({"model": LikeOperator(like="mock%")})
    assert isinstance(entries[2], OrCondition) and isinstance(entries[2].or_[2], OrCondition)
    dumped = TranscriptFilterConfig(where=entries).model_dump()["where"]
    assert dumped[1] == {"not": [{"model": {"like": "mock%"}}]}
    assert dumped[2]["or"][0] == {"score": 1}


@pytest.mark.parametrize(
    ("condition", "prefix", "fragment"),
    [
        (
            {"score": {"gt": 0, "lt": 10}},
            "transcripts.filter.where[0]: filter on 'score' has 2 operators (gt, lt) but takes one",
            "{between: [low, high]}",
        ),
        (
            {"score": {"like": "a", "ilike": "b"}},
            "transcripts.filter.where[0]: filter on 'score' has 2 operators (like, ilike)",
            "own where entry",
        ),
        (
            {"score": {"gte": 1}},
            "transcripts.filter.where[0]: filter on 'score' uses unknown operator 'gte'",
            "'ge'",
        ),
        (
            {"score": {"betwen": [1, 2]}},
            "transcripts.filter.where[0]: filter on 'score' uses unknown operator",
            "'between'",
        ),
        ({"score": {}}, "transcripts.filter.where[0]: filter on 'score' is an empty mapping", "one operator"),
        (
            {"score": {"operator": "__eq__"}},
            "transcripts.filter.where[0]: filter on 'score' is a custom operator",
            "args",
        ),
        (
            {"score": {"between": [1]}},
            "transcripts.filter.where[0].score.between[1]: item [1] is missing",
            "items",
        ),
        (
            {"or": [{"score": 1}]},
            "transcripts.filter.where[0].or: has 1 item, needs at least 2",
            "at least 2",
        ),
        (
            {"score": {"like": 5}},
            "transcripts.filter.where[0].score.like: expected a string, got 5",
            "string",
        ),
    ],
)
def test_bad_conditions_are_rejected_with_a_clear_line(condition: Any, prefix: str, fragment: str) -> None:
    lines = config_error_lines(where_config(condition))
    assert len(lines) == 1, lines
    assert lines[0].startswith(prefix), lines
    assert fragment in lines[0]


def test_two_operators_are_rejected_inside_not_and_or() -> None:
    lines = config_error_lines(where_config({"not": [{"a": 1}, {"score": {"ge": 1, "le": 2}}]}))
    assert lines == [
        line for line in lines if line.startswith("transcripts.filter.where[0].not[1]: filter on 'score'")
    ]
    assert len(lines) == 1


def test_operator_models_forbid_extra_keys() -> None:
    with pytest.raises(pydantic.ValidationError):
        GreaterThanOperator.model_validate({"gt": 0, "lt": 10})
    with pytest.raises(pydantic.ValidationError):
        FieldFilterSet.model_validate({"score": {"gt": 0, "lt": 10}})


def test_where_must_be_a_list() -> None:
    assert config_error_lines(scan(transcripts={"sources": [], "filter": {"where": "score > 1"}})) == [
        "transcripts.filter.where: expected a list, got 'score > 1' (write a list here)"
    ]


def test_not_needs_one_condition() -> None:
    with pytest.raises(pydantic.ValidationError):
        NotCondition.model_validate({"not": []})
    assert NotCondition.model_validate({"not": [{"a": 1}]}).not_[0] == FieldFilterSet({"a": 1})


def test_transcript_filter_fields() -> None:
    config = load_ok(scan(transcripts={"sources": [], "filter": {"limit": 5, "shuffle": 7}})).config
    assert isinstance(config, ScanConfig) and config.transcripts.filter is not None
    assert (
        config.transcripts.filter.limit,
        config.transcripts.filter.shuffle,
        config.transcripts.filter.where,
    ) == (
        5,
        7,
        [],
    )
    assert config_error_lines(scan(transcripts={"sources": [], "filter": {"limit": "all"}})) == [
        "transcripts.filter.limit: expected an integer, got 'all' (write an integer here)"
    ]


def test_transcript_sources() -> None:
    config = load_ok(scan(transcripts={"sources": []})).config
    assert isinstance(config, ScanConfig) and config.transcripts.sources == []
    assert config_error_lines(scan(transcripts={"sources": [{"id": "x"}]}))[0].startswith(
        "transcripts.sources[0].eval_set_id: required field is missing"
    )
    assert config_error_lines(scan(transcripts={"filter": {}})) == [
        "transcripts.sources: required field is missing (add `sources:`)"
    ]


SCANNER = {"package": "inspect-ai", "items": [{"name": "llm_scanner"}]}

VALID_SCAN_FIELDS: list[tuple[str, Any, Any]] = [
    ("name", "my scan", lambda c: c.name == "my scan"),
    ("max_transcripts", 10, lambda c: c.max_transcripts == 10),
    ("max_processes", 2, lambda c: c.max_processes == 2),
    ("packages", ["numpy"], lambda c: c.packages == ["numpy"]),
    ("scanners", [SCANNER], lambda c: c.scanners[0].items[0].scanner_key == "llm_scanner"),
    (
        "models",
        [{"package": "inspect-ai", "items": [{"name": "mockllm/model"}]}],
        lambda c: len(c.models) == 1,
    ),
    (
        "model_roles",
        {"judge": {"package": "inspect-ai", "items": [{"name": "m"}]}},
        lambda c: "judge" in c.model_roles,
    ),
    (
        "transcripts",
        {"sources": [{"eval_set_id": "a"}]},
        lambda c: c.transcripts.sources[0].eval_set_id == "a",
    ),
    ("tags", ["x"], lambda c: c.tags == ["x"]),
    ("metadata", {"k": "v"}, lambda c: c.metadata == {"k": "v"}),
    ("runner", {"memory": "4Gi"}, lambda c: c.runner.memory == "4Gi"),
]


@pytest.mark.parametrize(
    ("field", "value", "check"), VALID_SCAN_FIELDS, ids=[f for f, _, _ in VALID_SCAN_FIELDS]
)
def test_valid_scan_field(field: str, value: Any, check: Any) -> None:
    loaded = load_ok(scan(**{field: value}))
    assert loaded.kind == "scan" and loaded.warnings == []
    assert check(loaded.config)


INVALID_SCAN_FIELDS: list[tuple[str, Any, str]] = [
    ("name", "", "name: must not be empty"),
    ("max_transcripts", "many", "max_transcripts: expected an integer"),
    ("max_processes", [1], "max_processes: expected an integer"),
    ("packages", {"a": 1}, "packages: expected a list"),
    (
        "scanners",
        [{"package": "inspect-ai", "items": [{"name": "a", "key": ""}]}],
        "scanners[0].items[0].key: must not be empty",
    ),
    (
        "models",
        [{"package": "inspect_ai", "name": "x", "items": []}],
        "models[0].package: package 'inspect_ai'",
    ),
    (
        "model_roles",
        {"judge": {"package": "inspect-ai", "items": []}},
        "model_roles.judge.items: has 0 items",
    ),
    ("transcripts", [], "transcripts: expected a mapping"),
    ("tags", "x", "tags: expected a list"),
    ("metadata", "x", "metadata: expected a mapping"),
    ("runner", {"memory": "4GB"}, "runner.memory: '4GB' is not a Kubernetes quantity"),
]


@pytest.mark.parametrize(
    ("field", "value", "prefix"), INVALID_SCAN_FIELDS, ids=[f for f, _, _ in INVALID_SCAN_FIELDS]
)
def test_invalid_scan_field(field: str, value: Any, prefix: str) -> None:
    lines = config_error_lines(scan(**{field: value}))
    assert len(lines) == 1 and lines[0].startswith(prefix), lines


def test_every_scan_field_is_covered() -> None:
    assert {f for f, _, _ in VALID_SCAN_FIELDS} == set(ScanConfig.model_fields)
    assert {f for f, _, _ in INVALID_SCAN_FIELDS} == set(ScanConfig.model_fields)


def test_scanners_and_transcripts_are_required() -> None:
    assert config_error_lines({"scanners": [SCANNER]}) == [
        "transcripts: required field is missing (add `transcripts:`)"
    ]
    assert config_error_lines({"transcripts": {"sources": []}}) == [
        "scanners: required field is missing (add `scanners:`)"
    ]


@pytest.mark.parametrize(
    "scanners",
    [
        [{"package": "inspect-ai", "items": [{"name": "a"}, {"name": "a"}]}],
        [
            SCANNER | {"items": [{"name": "x", "key": "a"}]},
            {"package": "p", "name": "p", "items": [{"name": "a"}]},
        ],
    ],
)
def test_duplicate_scanner_keys_name_the_key(scanners: list[Any]) -> None:
    assert config_error_lines(scan(scanners=scanners)) == [
        "scanners: scanner key 'a' is used by 2 scanners (give each of them a unique `key:`)"
    ]


def test_same_scanner_twice_with_distinct_keys() -> None:
    config = ScanConfig.model_validate(
        scan(
            scanners=[
                {"package": "inspect-ai", "items": [{"name": "a", "key": "a1"}, {"name": "a", "key": "a2"}]}
            ]
        )
    )
    assert [item.scanner_key for item in config.scanners[0].items] == ["a1", "a2"]


def test_scanner_config_fields() -> None:
    scanner = ScannerConfig.model_validate(
        {
            "name": "judge",
            "args": {"question": "?"},
            "secrets": [{"name": "S"}],
            "filter": {"where": [{"score": {"lt": 1}}], "limit": 3},
        }
    )
    assert scanner.scanner_key == "judge"
    assert scanner.filter is not None and scanner.filter.limit == 3
    assert scanner.args == {"question": "?"}


def test_scan_get_secrets_precedence() -> None:
    config = ScanConfig.model_validate(
        scan(
            scanners=[
                {
                    "package": "inspect-ai",
                    "items": [{"name": "a", "secrets": [{"name": "A"}, {"name": "B"}]}],
                },
                {
                    "package": "p",
                    "name": "p",
                    "items": [{"name": "b", "secrets": [{"name": "A", "description": "2"}]}],
                },
            ],
            runner={"secrets": [{"name": "B", "description": "runner"}]},
        )
    )
    assert config.get_secrets() == [
        SecretConfig(name="A", description="2"),
        SecretConfig(name="B", description="runner"),
    ]


def test_scan_packages_and_model_configs() -> None:
    config = ScanConfig.model_validate(
        scan(
            models=[{"package": "inspect-ai", "items": [{"name": "m"}]}],
            model_roles={"judge": {"package": "judge-pkg", "name": "j", "items": [{"name": "m"}]}},
            packages=["inspect-ai", "pandas"],
        )
    )
    assert config.packages_to_install() == ["judge-pkg", "my-scanners", "pandas"]
    assert len(config.get_model_configs()) == 2


def test_scan_round_trip_and_extras() -> None:
    config = ScanConfig.model_validate(
        where_config({"not": [{"a": {"between": [1, 2]}}]}, {"or": [{"b": None}, {"c": ["x"]}]})
        | {"extra_key": 1}
    )
    assert config.model_extra == {"extra_key": 1}
    assert ScanConfig.model_validate(config.model_dump()) == config
    assert ScanConfig.model_validate(config.model_dump(mode="json")) == config
