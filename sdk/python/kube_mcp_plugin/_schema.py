"""JSON Schemas from dataclasses, and the checks tool arguments get.

Kept free of the component bindings so it can be tested on its own.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Optional

_PRIMITIVES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def json_name(field: dataclasses.Field) -> str:
    """A field's property name in JSON: ``metadata={"alias": ...}``, or its
    own name (``label_selector`` can be ``labelSelector`` for clients)."""
    return field.metadata.get("alias", field.name)


def from_json(cls: type, value: dict) -> Any:
    """An instance of dataclass ``cls`` from checked JSON arguments (keys
    are the fields' JSON names)."""
    return cls(**{f.name: value[json_name(f)] for f in dataclasses.fields(cls) if json_name(f) in value})


def schema_of(cls: type) -> dict:
    """The JSON Schema (2020-12) of a dataclass: its fields as properties,
    those without a default required, no others allowed. A field's
    ``metadata={"description": ...}`` becomes its description, and
    ``metadata={"alias": ...}`` its property name."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        schema = _schema_of_type(hints[field.name], f"{cls.__name__}.{field.name}")
        description = field.metadata.get("description")
        if description:
            schema = {**schema, "description": description}
        properties[json_name(field)] = schema
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            required.append(json_name(field))
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _schema_of_type(hint: Any, where: str) -> dict:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if hint in _PRIMITIVES:
        return {"type": _PRIMITIVES[hint]}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in arguments if a is not type(None)]
        if len(rest) == 1:  # Optional[T]: absent or T
            return _schema_of_type(rest[0], where)
        return {"anyOf": [_schema_of_type(a, where) for a in rest]}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    if origin in (list, tuple, set, frozenset) or hint in (list, tuple):
        item = arguments[0] if arguments else None
        return {"type": "array", **({"items": _schema_of_type(item, where)} if item is not None else {})}
    if origin is dict or hint is dict:
        return {"type": "object"}
    if dataclasses.is_dataclass(hint):
        return schema_of(hint)
    if hint is Any:
        return {}
    raise TypeError(f"{where}: no JSON Schema for {hint!r}")


def check_value(schema: dict, value: Any, at: str) -> Optional[str]:
    """Why ``value`` does not match ``schema``, naming the place, or None
    when it does. Checks what tool inputs use: ``type``, ``properties``,
    ``required``, ``additionalProperties: false``, ``items``, ``enum``,
    ``minimum``/``maximum``, ``anyOf``."""
    where = f"{at}: " if at else ""
    kind = schema.get("type")
    if isinstance(kind, str) and not _has_type(value, kind):
        return f"{where}expected {_article(kind)}, got {_describe(value)}"
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_same(v, value) for v in enum):
        return f"{where}must be one of {', '.join(json.dumps(v) for v in enum)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            return f"{where}must be at least {schema['minimum']}"
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            return f"{where}must be at most {schema['maximum']}"
    options = schema.get("anyOf")
    if isinstance(options, list) and options:
        problems = [check_value(option, value, at) for option in options]
        if all(p is not None for p in problems):
            return problems[0]
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return f"{at + '.' if at else ''}{name}: missing (required)"
        for name, field in value.items():
            path = f"{at}.{name}" if at else name
            if name not in properties:
                if schema.get("additionalProperties") is False:
                    return f"{path}: unknown field"
                continue
            problem = check_value(properties[name], field, path)
            if problem is not None:
                return problem
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problem = check_value(schema["items"], item, f"{at}[{i}]")
            if problem is not None:
                return problem
    return None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _has_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return True


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"number {json.dumps(value)}"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    if isinstance(value, list):
        return "an array"
    return "an object"
