"""The OpenAPI 3.1 document for the JSON API, served at /openapi.json."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from assets_hub import __version__
from assets_hub.auth.policy import Policy, requires

_ERROR = {"$ref": "#/components/responses/Error"}
_ID = {
    "name": "asset_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def _query(
    name: str, description: str, *, kind: str = "string", many: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "schema": schema, "description": description}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "assets hub API",
        "version": __version__,
        "description": "Campaign materials for public libraries: upload, search, download.",
    },
    "paths": {
        "/api/v1/assets": {
            "get": {
                "summary": "Search assets",
                "parameters": [
                    _query("q", "Words to find (typos tolerated), at most 512 characters"),
                    _query("kind", "Filter by kind (repeatable)", many=True),
                    _query("campaign", "Filter by campaign slug (repeatable)", many=True),
                    _query("tag", "Filter by tag, any of (repeatable)", many=True),
                    _query("sort", "relevance, newest, downloads or title"),
                    _query("page", "Page number from 1", kind="integer"),
                    _query("per_page", "Results per page, 1-100", kind="integer"),
                ],
                "responses": {
                    "200": {
                        "description": "Hits, total and facet counts",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchPage"}
                            }
                        },
                    },
                    "400": _ERROR,
                    "503": _ERROR,
                },
            },
            "post": {
                "summary": "Upload an asset",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string", "maxLength": 200},
                                    "description": {"type": "string", "maxLength": 5000},
                                    "tags": {"type": "string", "description": "Comma separated"},
                                    "campaign": {"type": "string", "description": "Campaign slug"},
                                    "kind": {
                                        "type": "string",
                                        "enum": [
                                            "image",
                                            "document",
                                            "case_study",
                                            "logo",
                                            "social_post",
                                        ],
                                    },
                                    "status": {"type": "string", "enum": ["draft", "published"]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "The new asset",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Asset"}}
                        },
                    },
                    "400": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "422": _ERROR,
                    "503": _ERROR,
                },
            },
        },
        "/api/v1/assets/{asset_id}": {
            "get": {
                "summary": "One asset",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "The asset",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Asset"}}
                        },
                    },
                    "404": _ERROR,
                },
            }
        },
        "/api/v1/assets/{asset_id}/download": {
            "get": {
                "summary": "Download the original file",
                "parameters": [_ID],
                "responses": {
                    "200": {"description": "The file, as an attachment (local storage)"},
                    "302": {
                        "description": "Redirect to a presigned URL valid for at most 300 s (S3)"
                    },
                    "404": _ERROR,
                },
            }
        },
        "/api/v1/assets/{asset_id}/thumbnail": {
            "get": {
                "summary": "A 400 px WebP thumbnail",
                "parameters": [_ID],
                "responses": {"200": {"description": "image/webp"}, "404": _ERROR},
            }
        },
        "/api/v1/campaigns": {
            "get": {
                "summary": "List campaigns",
                "responses": {"200": {"description": "Campaigns"}},
            },
            "post": {
                "summary": "Create a campaign",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Campaign"}}
                    },
                },
                "responses": {"201": {"description": "The campaign"}, "400": _ERROR, "422": _ERROR},
            },
        },
        "/healthz": {
            "get": {"summary": "The process answers", "responses": {"200": {"description": "ok"}}}
        },
        "/readyz": {
            "get": {
                "summary": "Database, storage and search answer",
                "responses": {
                    "200": {"description": "ready"},
                    "503": {"description": "names what is down"},
                },
            }
        },
    },
    "components": {
        "responses": {
            "Error": {
                "description": "An error a person can read",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["error"],
                            "properties": {"error": {"type": "string"}},
                        }
                    }
                },
            }
        },
        "schemas": {
            "Campaign": {
                "type": "object",
                "required": ["slug", "name"],
                "properties": {
                    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"},
                    "name": {"type": "string", "maxLength": 200},
                    "description": {"type": "string"},
                },
            },
            "Version": {
                "type": "object",
                "properties": {
                    "number": {"type": "integer"},
                    "sha256": {"type": "string"},
                    "size": {"type": "integer"},
                    "media_type": {"type": "string"},
                    "width": {"type": ["integer", "null"]},
                    "height": {"type": ["integer", "null"]},
                    "page_count": {"type": ["integer", "null"]},
                    "filename": {"type": "string"},
                },
            },
            "Asset": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "kind": {"type": "string"},
                    "status": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "campaign": {
                        "oneOf": [{"$ref": "#/components/schemas/Campaign"}, {"type": "null"}]
                    },
                    "version": {"$ref": "#/components/schemas/Version"},
                    "links": {"type": "object", "additionalProperties": {"type": "string"}},
                    "highlights": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "SearchPage": {
                "type": "object",
                "properties": {
                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}},
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "facets": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                    },
                },
            },
        },
    },
}


def _generated_paths(routes: list[BaseRoute], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every route, described from its path, methods, policy and docstring."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Mount):
            if route.name != "static":
                paths.update(_generated_paths(list(route.routes), prefix + route.path))
            continue
        if not isinstance(route, Route):
            continue
        path = prefix + route.path
        for method in sorted((route.methods or set()) - {"HEAD"}):
            doc = (getattr(route.endpoint, "__doc__", None) or route.name or "").strip()
            policy = getattr(route.endpoint, "__policy__", None)
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in route.param_convertors
            ]
            paths.setdefault(path, {})[method.lower()] = {
                "summary": doc.splitlines()[0] if doc else route.name,
                "description": f"Who may call it: {policy.value}." if policy else "",
                "parameters": params,
                "responses": {"default": {"description": "See the summary"}, "4XX": _ERROR},
            }
    return paths


def build_spec(routes: list[BaseRoute]) -> dict[str, Any]:
    """The hand-written entries, completed by every other route of the app."""
    spec: dict[str, Any] = json.loads(json.dumps(SPEC))  # a deep copy: SPEC stays pristine
    for path, operations in _generated_paths(routes).items():
        if not path.startswith(("/api/", "/r/")) and path not in ("/healthz", "/readyz"):
            continue
        for method, operation in operations.items():
            spec["paths"].setdefault(path, {}).setdefault(method, operation)
    return spec


@requires(Policy.PUBLIC)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(build_spec(list(request.app.routes)))
