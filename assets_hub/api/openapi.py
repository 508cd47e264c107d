"""The OpenAPI 3.1 document, served at /openapi.json, generated from the operations' declarations.

Every route under /api/ (and the signed-link and feed routes) is declared with
``@operation`` (api/operations.py); the handler validates with that same declaration, so the
document lists exactly the parameters and fields the handler takes. Error answers follow from
the declaration and the route's policy (see :func:`_error_codes`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from assets_hub import __version__
from assets_hub.api.operations import HEADERS, JsonBody, Multipart, Operation, Reply, operation_of
from assets_hub.api.schemas import COMPONENTS, json_reply, obj
from assets_hub.auth.policy import SAFE_METHODS, Policy, requires
from assets_hub.auth.sessions import COOKIE_NAME
from assets_hub.ids import ID_SCHEMA, SLUG_PATTERN, IdConvertor, SlugConvertor

DOCUMENTED_PREFIXES = ("/api/", "/r/", "/feeds/")
ERRORS = {
    400: "The request is malformed: an unknown or bad parameter, or a body that is not JSON",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Signed in, but not allowed (role, another site's form, or sign in again for admin)",
    404: "Nothing at this address that the caller may see",
    409: "Conflicts with the current state (changed by someone else, or not ready)",
    410: "Gone: it expired and was removed",
    412: "If-Match is not an ETag from this API",
    413: "The body is too large",
    415: "That type of file is not accepted",
    422: "The values sent need correcting (the message names each field)",
    428: "Say which revision you edited (If-Match or revision)",
    429: "Too many requests; see Retry-After",
    503: "A backing service is unavailable; nothing was changed. See Retry-After",
}

# Routes outside /api/ with nothing to parse: their operations are declared here.
STANDALONE: dict[str, Operation] = {
    "/healthz": Operation("The process answers", (json_reply(200, "ok", obj(("status",))),)),
    "/readyz": Operation(
        "Database, storage and search answer (503 names what is down)",
        (json_reply(200, "ready", obj(("status",))),),
    ),
    "/openapi.json": Operation("This document", (json_reply(200, "OpenAPI 3.1", obj()),)),
}


def _error_codes(op: Operation, policy: Policy | None, method: str, path: str) -> set[int]:
    """The error answers an operation can give, from what it declares and who may call it."""
    codes = {503} | set(op.errors)
    if path not in STANDALONE:
        codes.add(400)  # an undeclared or malformed parameter
    if policy not in (None, Policy.PUBLIC):
        codes |= {401, 403}
    if "{" in path:
        codes.add(404)
    if isinstance(op.body, JsonBody):
        codes |= {400, 413, 422}
    if isinstance(op.body, Multipart):
        codes |= {400, 413, 415, 422, 429}
    if any(p.name == "If-Match" for p in op.params):
        codes |= {409, 412, 428}
    if method not in SAFE_METHODS and policy not in (None, Policy.PUBLIC):
        codes.add(403)  # CSRF: a cookie session's request from another site
    return codes


def _reply(reply: Reply) -> dict[str, Any]:
    found: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        found["content"] = {reply.media_type: {"schema": reply.schema}}
    if reply.headers:
        found["headers"] = {name: HEADERS[name] for name in reply.headers}
    return found


def _error(code: int) -> dict[str, Any]:
    found: dict[str, Any] = {
        "description": ERRORS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if code in (429, 503):
        found["headers"] = {"Retry-After": HEADERS["Retry-After"]}
    if code == 401:
        found["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return found


def _path_params(route: Route) -> list[dict[str, Any]]:
    params = []
    for name, convertor in route.param_convertors.items():
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(convertor, IdConvertor):
            schema = ID_SCHEMA
        elif isinstance(convertor, SlugConvertor):
            schema = {"type": "string", "pattern": f"^{SLUG_PATTERN}$"}
        elif name in ("asset_id", "job_id"):
            schema = {"type": "string", "format": "uuid"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _security(policy: Policy | None) -> list[dict[str, list[str]]]:
    signed_in: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
    if policy in (None, Policy.PUBLIC):
        return []
    if policy is Policy.CATALOGUE:
        return [*signed_in, {}]  # anyone, when the public catalogue is on
    return signed_in


def _describe(route: Route, path: str, method: str, op: Operation) -> dict[str, Any]:
    policy: Policy | None = getattr(route.endpoint, "__policy__", None)
    params = _path_params(route) + op.query_document()
    found: dict[str, Any] = {
        "operationId": route.name or path,
        "summary": op.summary,
        "description": " ".join(
            part
            for part in (op.description, f"Who may call it: {policy.value}." if policy else "")
            if part
        ),
        "security": _security(policy),
        "responses": {},
    }
    for reply in op.replies:  # several media types of one status share its entry
        entry = found["responses"].setdefault(str(reply.status), _reply(reply))
        entry.setdefault("content", {}).update(_reply(reply).get("content", {}))
    if params:
        found["parameters"] = params
    if op.body is not None:
        found["requestBody"] = op.body.document()
    for code in sorted(_error_codes(op, policy, method, path)):
        found["responses"].setdefault(str(code), _error(code))
    return found


def _walk(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, Route]]:
    found: list[tuple[str, Route]] = []
    for route in routes:
        if isinstance(route, Mount) and route.name != "static":
            found += _walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            found.append((prefix + route.path_format, route))
    return found


def documented_routes(routes: list[BaseRoute]) -> list[tuple[str, Route]]:
    """The routes the document covers: the API, signed links, feeds and the probes."""
    return [
        (path, route)
        for path, route in _walk(routes)
        if path.startswith(DOCUMENTED_PREFIXES) or path in STANDALONE
    ]


def undeclared_operations(routes: list[BaseRoute]) -> list[str]:
    """Documented routes whose handler has no ``@operation`` declaration (should be none)."""
    return [
        f"{sorted(route.methods or ())} {path}"
        for path, route in documented_routes(routes)
        if path not in STANDALONE and operation_of(route.endpoint) is None
    ]


def build_spec(routes: list[BaseRoute]) -> dict[str, Any]:
    """The whole document, from the app's route table."""
    paths: dict[str, dict[str, Any]] = {}
    for path, route in documented_routes(routes):
        op = STANDALONE.get(path) or operation_of(route.endpoint)
        if op is None:
            continue  # undeclared: tests/api/test_openapi.py fails on it (undeclared_operations)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(path, {})[method.lower()] = _describe(route, path, method, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "assets hub API",
            "version": __version__,
            "description": "Campaign materials for public libraries: upload, search, download.",
        },
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (assets-hub create-token, or /api/v1/tokens)",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE_NAME,
                    "description": "The browser session; state-changing requests also need "
                    "X-CSRF-Token (or a csrf_token form field) and a same-origin request",
                },
            },
        },
    }


def allowed_methods(routes: list[BaseRoute], path: str) -> list[str]:
    """Every method some route at ``path`` answers (for a 405's Allow header)."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            if route.name != "static" and path.startswith(route.path + "/"):
                found.update(allowed_methods(list(route.routes), path[len(route.path) :]))
        elif isinstance(route, Route) and route.path_regex.match(path):
            found.update(route.methods or ())
    return sorted(found)


@requires(Policy.PUBLIC)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(build_spec(list(request.app.routes)))
