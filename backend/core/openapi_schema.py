"""Request and response structs rendered with every constraint msgspec enforces on them.

Litestar builds a struct's OpenAPI schema from its own reading of the fields, which loses
constraints msgspec still enforces: a falsy one (``minimum: 0`` on a ``T | UnsetType`` field,
where Litestar tests ``if value:``) and those on list items (``list[Annotated[str, Meta(...)]]``
renders its items as a bare ``string``). msgspec's own JSON Schema of the struct has them all, plus
the ``extra_json_schema`` a field declares for a rule its service enforces (the phone format), so
each property takes its constraints from there. The app serves and ``qiyou openapi`` exports the
same document, both generated through this plugin.

The finished document (:class:`ContractOpenAPIConfig`) then states what no handler annotation
can: each operation's problem codes, the headers every answer carries, and the optional bodies.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI, Schema

from backend.core.compression import ETAG_OPT
from backend.core.errors import CURSOR_CODES, GENERIC_CODES, IDEMPOTENCY_CODES, declared_codes
from backend.core.routing import http_handlers

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

# JSON Schema keyword → attribute of Litestar's ``Schema``.
_CONSTRAINTS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "multipleOf": "multiple_of",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minItems": "min_items",
    "maxItems": "max_items",
}


class ConstrainedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's struct schemas, completed with the constraints of msgspec's schema."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        _, definitions = msgspec.json.schema_components(
            [field_definition.type_], ref_template="#/$defs/{name}"
        )
        own = _own_definition(definitions, field_definition.type_)
        declared = _declared(field_definition.type_)
        properties = schema.properties or {}
        for name, arms in list(properties.items()):
            properties[name] = _one_arm(arms)
        for name, enforced in (own.get("properties") or {}).items():
            rendered = properties.get(name)
            if isinstance(rendered, Schema):
                _state(rendered, {**_value_arm(enforced), **declared.get(name, {})})
        return schema


def _one_arm(rendered: Any) -> Any:
    """A ``oneOf`` of one schema, as the schema itself.

    Litestar drops ``UnsetType`` from ``T | UnsetType`` (a PATCH field that may be left out) and
    keeps the one arm left in a ``oneOf``, which linters flag and some generators turn into an
    extra named type.
    """
    if not isinstance(rendered, Schema) or not rendered.one_of or len(rendered.one_of) != 1:
        return rendered
    (arm,) = rendered.one_of
    if not isinstance(arm, Schema):
        return rendered
    merged = copy.copy(arm)
    for spec_field in fields(rendered):
        value = getattr(rendered, spec_field.name)
        if (
            spec_field.name != "one_of"
            and value is not None
            and getattr(merged, spec_field.name) is None
        ):
            setattr(merged, spec_field.name, value)
    return merged


def _declared(struct: Any) -> dict[str, dict[str, Any]]:
    """Each field's ``extra_json_schema``: a rule its service enforces, over msgspec's bounds.

    msgspec lets its own keywords win over the extra ones (a service's ``minLength: 2`` would
    lose to the wire type's ``min_length=1``), so they are read from the field itself.
    """
    info = msgspec.inspect.type_info(struct)
    declared: dict[str, dict[str, Any]] = {}
    for field in getattr(info, "fields", ()):
        arms = (
            field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
        )
        for arm in arms:
            if isinstance(arm, msgspec.inspect.Metadata) and arm.extra_json_schema:
                declared[field.encode_name] = dict(arm.extra_json_schema)
    return declared


def _own_definition(definitions: dict[str, Any], struct: type) -> dict[str, Any]:
    """The struct's own definition among those msgspec returns (it also lists nested ones)."""
    name = getattr(struct, "__name__", "")
    found = definitions.get(name)
    if found is None:
        found = next(
            (d for key, d in definitions.items() if key.split("[")[0] == name),
            {},
        )
    return found


def _value_arm(enforced: dict[str, Any]) -> dict[str, Any]:
    """The arm of ``T | None`` that constrains a value; a wider union is left as it is."""
    arms = enforced.get("anyOf")
    if not arms:
        return enforced
    values = [arm for arm in arms if arm.get("type") != "null"]
    return values[0] if len(values) == 1 else {}


def _state(rendered: Schema, enforced: dict[str, Any]) -> None:
    """Write the constraints of ``enforced`` onto ``rendered`` and onto its array items."""
    for keyword, attribute in _CONSTRAINTS.items():
        if keyword in enforced and getattr(rendered, attribute) != enforced[keyword]:
            setattr(rendered, attribute, enforced[keyword])
    items = enforced.get("items")
    if not isinstance(items, dict) or "$ref" in items:
        return
    for array in (rendered, *(rendered.one_of or ())):
        if isinstance(array, Schema) and isinstance(array.items, Schema):
            _state(array.items, _value_arm(items))


# --- The finished document ----------------------------------------------------------------------

Finisher = Callable[[dict[str, Any]], None]


class _FinishedOpenAPI(OpenAPI):
    """Litestar's document object, whose dictionary goes through the app's finisher.

    Every reader of the document (``/schema``, ``qiyou openapi``, the tests) calls
    ``to_schema()``, so this is the one place where the finished form is made.
    """

    finisher: Finisher | None = None

    def to_schema(self) -> dict[str, Any]:
        document = super().to_schema()
        if self.finisher is not None:
            self.finisher(document)
        return document


@dataclass
class ContractOpenAPIConfig(OpenAPIConfig):
    """``OpenAPIConfig`` whose document is finished by ``finisher`` (set once the app exists:
    what it adds is read from the app's route handlers)."""

    finisher: Finisher | None = dataclasses.field(default=None)

    def to_openapi_schema(self) -> OpenAPI:
        built = super().to_openapi_schema()
        finished = _FinishedOpenAPI(**{f.name: getattr(built, f.name) for f in fields(built)})
        finished.finisher = self.finisher
        return finished


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PROBLEM_REF = "#/components/schemas/Problem"

# The headers of the answers, declared once and referred to from each response.
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id: the caller's own `X-Request-ID` when it sent a sane "
        "one, otherwise one made by the server. Problem documents repeat it as `requestId`.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key` (nothing was done again).",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "ETag": {
        "description": "A strong validator of this answer's content (the same whatever its "
        "Content-Encoding). Send it back in `If-None-Match` to be answered 304 while the "
        "content is unchanged.",
        "required": True,
        "schema": {"type": "string"},
    },
}
# The request side of a conditional read: the parameter and the answer it may bring.
IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of the copy the client holds (or a list of them, or `*`): "
    "while the content is unchanged the answer is 304 without a body.",
    "schema": {"type": "string"},
}
_NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` of the request names this content's "
    "`ETag` (or is `*`). No body; use the copy you hold.",
    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


@dataclass(frozen=True)
class OperationNotes:
    """What the document learns from an operation's handler, not from its annotations."""

    codes: dict[int, tuple[str, ...]]
    optional_body: bool
    # Answers If-None-Match: carries an ETag, may answer 304 (compression.PUBLIC_READS).
    conditional: bool = False


def operation_notes(app: Any) -> dict[str, OperationNotes]:
    """Operation id → its handler's declared problem codes and whether its body may be left out."""
    notes: dict[str, OperationNotes] = {}
    for _, handler in http_handlers(app):
        if not isinstance(handler.operation_id, str):
            continue
        data = handler.parsed_fn_signature.parameters.get("data")
        optional = data is not None and (data.is_optional or data.default is None)
        notes[handler.operation_id] = OperationNotes(
            declared_codes(handler), optional, bool(handler.opt.get(ETAG_OPT))
        )
    return notes


def problem_codes(
    status: int, declared: dict[int, tuple[str, ...]], *, paged: bool, idempotent: bool
) -> list[str]:
    """Every ``code`` an operation may answer with ``status``: the generic ones of the status,
    those its shared parameters bring, and those its handler declared."""
    codes = {*GENERIC_CODES.get(status, ()), *declared.get(status, ())}
    if paged:
        codes.update(CURSOR_CODES.get(status, ()))
    if idempotent:
        codes.update(IDEMPOTENCY_CODES.get(status, ()))
    return sorted(codes)


def _has_parameter(operation: dict[str, Any], where: str, name: str) -> bool:
    return any(
        p.get("in") == where and p.get("name", "").lower() == name.lower()
        for p in operation.get("parameters", ())
    )


def contract_finisher(
    app: Any, members: dict[str, str], structs: dict[str, type] | None = None
) -> Finisher:
    """The finisher of ``app``'s document: each problem answer's ``code`` as the enum of the
    codes the operation may answer with, the answers' headers (``X-Request-ID`` on every one,
    ``Retry-After`` where a retry is asked for, ``Idempotent-Replayed`` on an idempotent
    operation's success), the description of ``Problem``'s optional ``members``, and a body
    the handler lets the client leave out marked as not required."""

    def finish(document: dict[str, Any]) -> None:
        notes = operation_notes(app)
        components = document.setdefault("components", {})
        components.setdefault("headers", {}).update(copy.deepcopy(HEADERS))
        problem = components.get("schemas", {}).get("Problem", {})
        for name, description in members.items():
            member = problem.get("properties", {}).get(name)
            if member is not None:
                member["description"] = description
        for item in document.get("paths", {}).values():
            for method in _METHODS:
                operation = item.get(method)
                if operation is not None:
                    _finish_operation(operation, notes.get(operation.get("operationId", "")))
        require_answered_members(document, structs or {})

    return finish


def _finish_operation(operation: dict[str, Any], notes: OperationNotes | None) -> None:
    idempotent = _has_parameter(operation, "header", "Idempotency-Key")
    paged = _has_parameter(operation, "query", "cursor")
    declared = notes.codes if notes else {}
    if notes and notes.optional_body and "requestBody" in operation:
        operation["requestBody"]["required"] = False
    if notes and notes.conditional:
        _conditional(operation)
    for key, response in operation.get("responses", {}).items():
        status = int(key)
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = _header("X-Request-ID")
        if status in (429, 503) or (status == 409 and idempotent):
            headers["Retry-After"] = _header("Retry-After")
        if status < 300 and idempotent:
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
        content = response.get("content", {}).get("application/problem+json")
        if content is None:
            continue
        codes = problem_codes(status, declared, paged=paged, idempotent=idempotent)
        if codes:
            content["schema"] = {
                "allOf": [
                    {"$ref": PROBLEM_REF},
                    {
                        "type": "object",
                        "properties": {"code": {"type": "string", "enum": codes}},
                        "required": ["code"],
                    },
                ]
            }


def _conditional(operation: dict[str, Any]) -> None:
    """A read that answers ``If-None-Match``: the parameter, the ``ETag`` of its 200 and its
    304, stated here once for every such read rather than by each handler."""
    operation.setdefault("parameters", []).append(copy.deepcopy(IF_NONE_MATCH))
    responses = operation.setdefault("responses", {})
    responses["304"] = copy.deepcopy(_NOT_MODIFIED)
    ok = responses.get("200")
    if ok is not None:
        ok.setdefault("headers", {})["ETag"] = _header("ETag")
    operation["responses"] = dict(sorted(responses.items()))


def _always_encoded(struct: type) -> list[str]:
    """The wire names of the fields msgspec writes on every encoding of ``struct``: all but
    those that may be ``UNSET`` (no wire type sets ``omit_defaults``)."""
    return [
        wire_field.encode_name
        for wire_field in msgspec.structs.fields(struct)
        if wire_field.default is not msgspec.UNSET
    ]


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    pending, seen = list(names), set()
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        inner: set[str] = set()
        _refs(schemas[name], inner)
        pending.extend(inner - seen)
    return seen


def require_answered_members(document: dict[str, Any], structs: dict[str, type]) -> None:
    """Mark required, in the schemas only answers use, every member the server always writes.

    Litestar lists as required the fields without a default, which is right for a request (a
    client may leave out ``gender``) but not for an answer: msgspec writes ``upcomingEvents``
    every time, and a generated client should not make the phone test for its absence.
    ``structs`` maps component names to the wire types they were rendered from.
    """
    schemas = document.get("components", {}).get("schemas", {})
    answered: set[str] = set()
    sent: set[str] = set()
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            _refs(operation.get("responses", {}), answered)
            _refs(operation.get("requestBody", {}), sent)
            _refs(operation.get("parameters", []), sent)
    for name in _closure(answered, schemas) - _closure(sent, schemas):
        struct = structs.get(name.split("[", 1)[0])
        schema = schemas[name]
        if struct is None or "properties" not in schema:
            continue
        always = [n for n in _always_encoded(struct) if n in schema["properties"]]
        if always:
            schema["required"] = sorted({*schema.get("required", ()), *always})
