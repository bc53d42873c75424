"""The OpenAPI document the phone team generates its client from."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from backend.openapi import offline_app, render_openapi
from schemas import patterns

CHECKED_IN = Path(__file__).resolve().parents[1] / "schemas" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = offline_app().openapi_schema.to_schema()
    return schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_has_a_unique_operation_id(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert operations
    unnamed = [f"{method} {path}" for method, path, op in operations if not op.get("operationId")]
    assert not unnamed, f"give these routes an operation_id: {unnamed}"
    counts = Counter(op["operationId"] for _, _, op in operations)
    assert not [name for name, n in counts.items() if n > 1], counts.most_common(5)


def test_errors_are_documented_as_problem_documents(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content") or {}
            if list(content) != ["application/problem+json"]:
                wrong.append(f"{method} {path} {status}: {sorted(content)}")
    assert not wrong, "error responses must be application/problem+json:\n" + "\n".join(wrong)


def test_the_checked_in_document_matches_the_app() -> None:
    current = render_openapi()
    assert CHECKED_IN.exists(), "schemas/openapi.json is missing: run `.venv/bin/qiyou openapi`"
    checked_in = CHECKED_IN.read_text()
    if checked_in != current:
        old, new = json.loads(checked_in), json.loads(current)
        changed = sorted(
            set(old.get("paths", {})) ^ set(new.get("paths", {}))
            | {
                p
                for p in set(old.get("paths", {})) & set(new.get("paths", {}))
                if old["paths"][p] != new["paths"][p]
            }
        )
        pytest.fail(
            "schemas/openapi.json is out of date with the app; run `.venv/bin/qiyou openapi` "
            "and commit the result. Paths that differ: " + (", ".join(changed) or "(components)"),
            pytrace=False,
        )


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _body(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = document["paths"][path][method]
    return _resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])


PHONE_BODIES = [
    ("post", "/api/v1/auth/sms-codes"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/login/sms"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/admin/users"),
]


@pytest.mark.parametrize(("method", "path"), PHONE_BODIES)
def test_phone_fields_state_the_phone_format(
    document: dict[str, Any], method: str, path: str
) -> None:
    phone = _body(document, method, path)["properties"]["phone"]
    assert phone["pattern"] == patterns.PHONE
    assert phone["maxLength"] == patterns.PHONE_MAX_LENGTH


def test_the_dev_code_lookup_states_the_phone_format(document: dict[str, Any]) -> None:
    (parameter,) = document["paths"]["/api/v1/dev/sms-codes/latest"]["get"]["parameters"]
    assert parameter["schema"]["pattern"] == patterns.PHONE


def test_every_idempotency_key_header_states_its_format(document: dict[str, Any]) -> None:
    declared = [
        parameter["schema"]
        for _, _, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"].lower() == "idempotency-key"
    ]
    assert declared
    for schema in declared:
        assert schema["pattern"] == patterns.IDEMPOTENCY_KEY
        assert (schema["minLength"], schema["maxLength"]) == (1, 200)


@pytest.mark.parametrize(
    ("struct", "field", "pattern"),
    [
        ("VerificationRequest", "realName", patterns.REAL_NAME),
        ("RegisterRequest", "displayName", patterns.SINGLE_LINE_TEXT),
        ("UpdateMeRequest", "displayName", patterns.SINGLE_LINE_TEXT),
        ("AdminUserCreate", "displayName", patterns.SINGLE_LINE_TEXT),
        ("MemberIn", "name", patterns.SINGLE_LINE_TEXT),
        ("MemberPatch", "name", patterns.SINGLE_LINE_TEXT),
        ("MemberIn", "notes", patterns.NOTES),
        ("MemberPatch", "notes", patterns.NOTES),
    ],
)
def test_names_and_texts_state_their_rule(
    document: dict[str, Any], struct: str, field: str, pattern: str
) -> None:
    assert document["components"]["schemas"][struct]["properties"][field]["pattern"] == pattern


def test_real_names_state_their_length(document: dict[str, Any]) -> None:
    real_name = document["components"]["schemas"]["VerificationRequest"]["properties"]["realName"]
    assert (real_name["minLength"], real_name["maxLength"]) == (2, 30)


def _array(schema: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in [schema, *schema.get("oneOf", [])] if s.get("type") == "array")


@pytest.mark.parametrize("struct", ["RoomIn", "RoomPatch"])
def test_amenity_items_keep_their_constraints(document: dict[str, Any], struct: str) -> None:
    amenities = document["components"]["schemas"][struct]["properties"]["amenities"]
    items = _array(amenities)["items"]
    assert (items["minLength"], items["maxLength"], items["pattern"]) == (1, 50, r"^[^\x00]*$")


def test_patch_fields_keep_a_minimum_of_zero(document: dict[str, Any]) -> None:
    room = document["components"]["schemas"]["RoomPatch"]["properties"]
    assert room["bookableDaysAhead"]["minimum"] == 0
    assert room["cancelCutoffMinutes"]["minimum"] == 0


def test_every_struct_states_what_msgspec_enforces(document: dict[str, Any]) -> None:
    """Each numeric and length bound msgspec enforces on a wire struct is in the document."""
    import msgspec

    from schemas.common import Wire

    def wire_types(base: type) -> list[type]:
        return [t for sub in base.__subclasses__() for t in (sub, *wire_types(sub))]

    keywords = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")
    missing = []
    components = document["components"]["schemas"]
    for struct in wire_types(Wire):
        rendered = components.get(struct.__name__)
        if rendered is None or "properties" not in rendered:
            continue
        _, definitions = msgspec.json.schema_components([struct])
        for name, enforced in definitions[struct.__name__]["properties"].items():
            arms = [a for a in enforced.get("anyOf", [enforced]) if a.get("type") != "null"]
            if len(arms) != 1:
                continue
            for keyword in keywords:
                if keyword in arms[0] and rendered["properties"][name].get(keyword) is None:
                    missing.append(f"{struct.__name__}.{name}: {keyword}")
    assert not missing, missing
