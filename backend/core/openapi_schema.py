"""Request and response structs rendered with every constraint msgspec enforces on them.

Litestar builds a struct's OpenAPI schema from its own reading of the fields, which loses
constraints msgspec still enforces: a falsy one (``minimum: 0`` on a ``T | UnsetType`` field,
where Litestar tests ``if value:``) and those on list items (``list[Annotated[str, Meta(...)]]``
renders its items as a bare ``string``). msgspec's own JSON Schema of the struct has them all, plus
the ``extra_json_schema`` a field declares for a rule its service enforces (the phone format), so
each property takes its constraints from there. The app serves and ``qiyou openapi`` exports the
same document, both generated through this plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import Schema

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
        for name, enforced in (own.get("properties") or {}).items():
            rendered = (schema.properties or {}).get(name)
            if isinstance(rendered, Schema):
                _state(rendered, {**_value_arm(enforced), **declared.get(name, {})})
        return schema


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
