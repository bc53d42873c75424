"""The OpenAPI document the phone team generates its client from."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from backend.core.routing import http_handlers
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


# --- The contract's completeness (issue 12) --------------------------------------------------

# Codes of the catalogue that no operation answers, and why.
NOT_OPERATION_CODES = {
    "error": "the fallback for a 4xx status Litestar raises that has no code of its own",
    "method_not_allowed": "answered for a path before any operation is chosen",
    "cors_refused": "a refused CORS preflight, answered before any operation is chosen",
}
OPERATION_ID = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$|^[a-z]+$")
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")


def _codes(document: dict[str, Any]) -> set[str]:
    return {
        code
        for _, _, operation in _operations(document)
        for response in operation["responses"].values()
        for arm in response.get("content", {})
        .get("application/problem+json", {})
        .get("schema", {})
        .get("allOf", [])
        for code in arm.get("properties", {}).get("code", {}).get("enum", [])
    }


def test_every_error_code_of_the_catalogue_is_in_the_document(document: dict[str, Any]) -> None:
    from backend.core import i18n

    missing = sorted(
        code
        for code in i18n.catalogue()
        if not code.startswith("notification.")
        and code not in NOT_OPERATION_CODES
        and code not in _codes(document)
    )
    assert not missing, f"no operation declares these codes: {missing}"


def test_every_problem_answer_states_its_codes(document: dict[str, Any]) -> None:
    plain = [
        f"{method} {path} {status}"
        for method, path, operation in _operations(document)
        for status, response in operation["responses"].items()
        if "application/problem+json" in response.get("content", {})
        and "allOf" not in response["content"]["application/problem+json"]["schema"]
    ]
    assert not plain, plain


def test_every_operation_declares_429_and_500_and_the_request_id(
    document: dict[str, Any],
) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if "500" not in responses or (path.startswith("/api/") and "429" not in responses):
            wrong.append(f"{method} {path}: {sorted(responses)}")
        for status, response in responses.items():
            headers = response.get("headers", {})
            if "X-Request-ID" not in headers:
                wrong.append(f"{method} {path} {status}: no X-Request-ID")
            if status in ("429", "503") and "Retry-After" not in headers:
                wrong.append(f"{method} {path} {status}: no Retry-After")
    assert not wrong, wrong


def test_idempotent_operations_declare_the_replay_header(document: dict[str, Any]) -> None:
    idempotent = [
        (method, path, operation)
        for method, path, operation in _operations(document)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    ]
    assert any(op["operationId"] == "createMember" for _, _, op in idempotent)
    for method, path, operation in idempotent:
        for status, response in operation["responses"].items():
            if int(status) < 300:
                assert "Idempotent-Replayed" in response["headers"], (method, path, status)
        codes = _codes({"paths": {path: {method.lower(): operation}}})
        assert {"idempotency_key_reused", "invalid_idempotency_key"} <= codes, (method, path)


def test_tags_are_declared_once_with_a_description(document: dict[str, Any]) -> None:
    declared = {tag["name"]: tag.get("description") for tag in document["tags"]}
    assert all(declared.values()), declared
    used = {tag for _, _, op in _operations(document) for tag in op.get("tags", ())}
    assert used == set(declared), (used, set(declared))
    assert all(len(op.get("tags", ())) == 1 for _, _, op in _operations(document))


def test_operations_are_named_and_described_in_one_style(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        if not OPERATION_ID.match(operation["operationId"]):
            wrong.append(f"{method} {path}: operationId {operation['operationId']}")
        if not operation.get("summary") or not operation.get("description"):
            wrong.append(f"{method} {path}: summary and description")
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("path", "query") and not CAMEL.match(parameter["name"]):
                wrong.append(f"{method} {path}: parameter {parameter['name']}")
    assert not wrong, wrong


def test_no_schema_is_a_one_of_a_single_schema(document: dict[str, Any]) -> None:
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("oneOf", "anyOf", "allOf") and len(value) == 1:
                    found.append(f"{where}/{key}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(document, "")
    assert not found, found


def test_problem_declares_its_extension_members(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]["properties"]
    for member in ("errors", "requestId", "conflicts", "events", "checkedInAt", "confirmedSeats"):
        assert problem[member].get("description"), member


def test_the_home_screen_types_its_events(document: dict[str, Any]) -> None:
    home = document["components"]["schemas"]["HomeOut"]
    events = home["properties"]["upcomingEvents"]
    assert events["items"] == {"$ref": "#/components/schemas/EventSummary"}
    # Always written, so a generated client need not test for its absence.
    assert "upcomingEvents" in home["required"]


def test_a_body_the_handler_may_go_without_is_not_required() -> None:
    from backend.core.openapi_schema import operation_notes

    app = offline_app()
    document = app.openapi_schema.to_schema()
    optional = {name for name, notes in operation_notes(app).items() if notes.optional_body}
    for _, _, operation in _operations(document):
        body = operation.get("requestBody")
        if body is not None:
            assert body.get("required", False) is (operation["operationId"] not in optional)


def test_every_list_answers_the_common_page() -> None:
    """Every operation that takes a cursor answers ``schemas.common.Page`` or a subclass of it
    (its extra members added to ``items`` and ``nextCursor``, never a shape of its own)."""
    from schemas.common import Page, wire_types

    wrong = []
    for _, handler in http_handlers(offline_app()):
        if "cursor" not in handler.parsed_fn_signature.parameters:
            continue
        returned = handler.parsed_fn_signature.return_type
        answer = returned.origin or returned.annotation
        if not (isinstance(answer, type) and issubclass(answer, Page)):
            wrong.append(f"{handler.operation_id}: {answer}")
    assert not wrong, "lists not answering a Page:\n" + "\n".join(wrong)
    paged_shapes = [
        name
        for name, struct in wire_types().items()
        if "next_cursor" in struct.__struct_fields__ and not issubclass(struct, Page)
    ]
    assert not paged_shapes


def test_every_creating_post_takes_an_idempotency_key(document: dict[str, Any]) -> None:
    """A POST that creates (answers 201) honours and declares ``Idempotency-Key``; so the phone
    may retry any creation (issue 12)."""
    wrong = [
        operation["operationId"]
        for method, _, operation in _operations(document)
        if method.lower() == "post"
        and "201" in operation["responses"]
        and not any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    ]
    assert not wrong, wrong
