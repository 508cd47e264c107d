"""One declaration per API operation: what the handler accepts and what /openapi.json says.

A handler is declared with ``@operation(...)`` beneath its ``@requires(policy)``. The
declaration names its query and header parameters, its request body (a JSON schema, or a
multipart form) and its replies. The wrapper it installs refuses any query parameter the
declaration lacks (400), checks and converts the declared ones (:func:`args_of`), and for a
JSON body reads it, refuses unknown fields and validates it against the declared schema before
the handler runs (:func:`body_of`). The OpenAPI generator (api/openapi.py) reads the same
declarations, so the document cannot describe anything the handler does not accept, or miss
anything it does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from assets_hub.api.bodies import read_json_object
from assets_hub.errors import BadRequest, Unprocessable
from assets_hub.ids import ID_DIGITS, ID_SCHEMA, query_id

Schema = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]
OPERATION_ATTR = "__operation__"
MAX_PARAM_CHARS = 2000


@dataclass(frozen=True)
class Param:
    """A query or header parameter. ``many``: repeatable (the value is a tuple)."""

    name: str
    schema: Schema
    description: str = ""
    where: Literal["query", "header"] = "query"
    required: bool = False
    many: bool = False

    def document(self) -> dict[str, Any]:
        schema = {"type": "array", "items": self.schema} if self.many else self.schema
        found: dict[str, Any] = {"name": self.name, "in": self.where, "schema": schema}
        if self.description:
            found["description"] = self.description
        if self.required:
            found["required"] = True
        if self.many:
            found.update(style="form", explode=True)
        return found

    def parse(self, values: Sequence[str]) -> Any:
        """The declared value(s) from the raw strings; 400 naming the parameter otherwise."""
        if not self.many and len(values) > 1:
            raise BadRequest(f"{self.name}: send it once.")
        parsed = tuple(_scalar(self.name, self.schema, v) for v in values)
        return parsed if self.many else parsed[0]


def _scalar(name: str, schema: Schema, raw: str) -> Any:
    if len(raw) > MAX_PARAM_CHARS or "\x00" in raw:
        raise BadRequest(f"{name}: the value is too long or not text.")
    kind = schema.get("type", "string")
    if schema is ID_SCHEMA:
        return query_id(name, raw)
    if kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, got {raw[:20]!r}") from None
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None and not low <= value <= high:
            raise BadRequest(f"{name} must be between {low} and {high}")
        if low is not None and value < low:
            raise BadRequest(f"{name} must be {low} or more")
        return value
    if kind == "boolean":
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no", ""):
            return False
        raise BadRequest(f"{name} must be true or false")
    if "enum" in schema and raw not in schema["enum"]:
        raise BadRequest(f"{name} must be one of {', '.join(map(str, schema['enum']))}")
    if len(raw) > schema.get("maxLength", MAX_PARAM_CHARS):
        raise BadRequest(f"{name} is too long: at most {schema['maxLength']} characters")
    return raw


@dataclass(frozen=True)
class JsonBody:
    """A JSON object body: ``schema`` is its JSON schema (``properties`` list every field)."""

    schema: Schema
    required: bool = True
    validator: Draft202012Validator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        schema = {"type": "object", "additionalProperties": False, **self.schema}
        object.__setattr__(self, "schema", schema)
        object.__setattr__(self, "validator", Draft202012Validator(schema))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.schema.get("properties", {}))

    def document(self) -> dict[str, Any]:
        return {"required": self.required, "content": {"application/json": {"schema": self.schema}}}


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data body (uploads), read by the handler as it streams in."""

    schema: Schema

    def document(self) -> dict[str, Any]:
        schema = {"type": "object", **self.schema}
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


@dataclass(frozen=True)
class Reply:
    """A successful answer: its status, what it carries and the headers it sets."""

    status: int
    description: str
    schema: Schema | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()  # names from HEADERS below


# Response headers the API sets, described once.
HEADERS: dict[str, Schema] = {
    "ETag": {"description": 'The revision, for If-Match (e.g. "r3")', "schema": {"type": "string"}},
    "Location": {"description": "Where the new resource is", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}},
    "Content-Disposition": {"description": "attachment; filename=…", "schema": {"type": "string"}},
    "X-Render-Warnings": {"description": "What the preview had to compromise on",
                          "schema": {"type": "string"}},
}  # fmt: skip


# How the document says "any other query parameter is accepted and ignored".
OTHER_QUERY: dict[str, Any] = {
    "name": "other",
    "in": "query",
    "description": "Any other query parameter is ignored (feed readers add their own)",
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    "style": "form",
    "explode": True,
}


@dataclass(frozen=True)
class Operation:
    """Everything about one operation the document says and the wrapper enforces."""

    summary: str
    replies: tuple[Reply, ...]
    params: tuple[Param, ...] = ()
    body: JsonBody | Multipart | None = None
    errors: frozenset[int] = frozenset()  # beyond those that follow from the declaration
    description: str = ""
    ignores_other_query: bool = False  # for feeds: readers append their own parameters

    def query_document(self) -> list[dict[str, Any]]:
        """The query and header parameters as the document lists them."""
        found = [p.document() for p in self.params]
        if self.ignores_other_query:
            found.append(OTHER_QUERY)
        return found

    @property
    def query(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.where == "query"}


def operation(
    summary: str,
    *replies: Reply,
    params: Sequence[Param] = (),
    body: JsonBody | Multipart | None = None,
    errors: Sequence[int] = (),
    description: str = "",
    ignores_other_query: bool = False,
) -> Callable[[Endpoint], Endpoint]:
    """Declare an API operation (use beneath ``@requires``, so the policy answers first)."""
    declared = Operation(
        summary,
        tuple(replies),
        tuple(params),
        body,
        frozenset(errors),
        description,
        ignores_other_query,
    )

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def declared_endpoint(request: Request) -> Response:
            request.state.args = _parse_query(declared, request)
            if isinstance(declared.body, JsonBody):
                request.state.body = await _read_body(declared.body, request)
            return await endpoint(request)

        setattr(declared_endpoint, OPERATION_ATTR, declared)
        return declared_endpoint

    return decorate


def operation_of(endpoint: object) -> Operation | None:
    found: Operation | None = getattr(endpoint, OPERATION_ATTR, None)
    return found


def args_of(request: Request) -> dict[str, Any]:
    """The declared query parameters that were sent, checked and converted."""
    found: dict[str, Any] = request.state.args
    return found


def body_of(request: Request) -> dict[str, Any]:
    """The JSON body, validated against the declared schema (only declared fields)."""
    found: dict[str, Any] = request.state.body
    return found


def _parse_query(declared: Operation, request: Request) -> dict[str, Any]:
    known = declared.query
    unknown = sorted(set(request.query_params) - set(known))
    if unknown and not declared.ignores_other_query:
        names = ", ".join(sorted(known)) or "none"
        raise BadRequest(
            f"Unknown parameter(s): {', '.join(unknown)[:200]}. This address takes: {names[:600]}."
        )
    found: dict[str, Any] = {}
    for name, param in known.items():
        values = [v for v in request.query_params.getlist(name) if v != ""]  # empty: not sent
        if values:
            found[name] = param.parse(values)
        elif param.required:
            raise BadRequest(f"{name}: required ({param.description or 'see /openapi.json'}).")
    return found


async def _read_body(declared: JsonBody, request: Request) -> dict[str, Any]:
    data = await read_json_object(request, allowed=declared.fields)
    problems = [_problem(e) for e in declared.validator.iter_errors(data)]
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(sorted(problems)[:10]) + ".")
    return data


def _problem(error: ValidationError) -> str:
    """A validation error as people read it: ``title: at most 200 characters``."""
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    rule, limit = str(error.validator), cast(Any, error.validator_value)
    schema: Any = error.schema
    messages: Mapping[str, Callable[[], str]] = {
        "type": lambda: f"must be {_kind(limit)}",
        "maxLength": lambda: f"at most {limit} characters",
        "minLength": lambda: "must not be empty" if limit == 1 else f"at least {limit} characters",
        "maximum": lambda: f"at most {limit}",
        "minimum": lambda: f"at least {limit}",
        "maxItems": lambda: f"at most {limit} items",
        "minItems": lambda: f"at least {limit} items",
        "enum": lambda: "must be one of " + ", ".join(map(str, limit))[:200],
        "pattern": lambda: str(schema.get("description", "is not in the expected form")),
        "maxProperties": lambda: f"at most {limit} entries",
        "additionalProperties": lambda: "has fields this API does not take",
    }
    if rule == "required":
        parent = ".".join(str(p) for p in error.absolute_path)
        return f"{parent + '.' if parent else ''}{_missing(error.message)}: required"
    found = messages.get(rule)
    return f"{where}: {found() if found else error.message[:200]}"


def _missing(message: str) -> str:
    found = re.match(r"^'([^']*)'", message)
    return found.group(1) if found else "a field"


def _kind(kind: object) -> str:
    names = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "an object",
        "null": "null",
    }
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(str(k), str(k)) for k in kinds)


__all__ = [
    "HEADERS",
    "ID_DIGITS",
    "JsonBody",
    "Multipart",
    "Operation",
    "Param",
    "Reply",
    "args_of",
    "body_of",
    "operation",
    "operation_of",
]
