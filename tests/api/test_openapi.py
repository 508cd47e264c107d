"""/openapi.json and the handlers come from one declaration per operation: the document cannot
lack a parameter or field that a handler accepts.

Each test here fails on a handler that reads its input around the declaration: one that
accepts an undeclared query parameter or JSON field, one that reads the query string or a body
itself, or one that reads a request header the document does not list.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from assets_hub.api.openapi import undeclared_operations
from assets_hub.models import Role
from tests.conftest import authorise, http_app

API_SOURCES = Path(__file__).resolve().parents[2] / "assets_hub" / "api"
SAMPLES = {
    "asset_id": "00000000-0000-4000-8000-000000000000",
    "job_id": "00000000-0000-4000-8000-000000000000",
    "slug": "leeds",
    "key": "instagram-square",
    "token": "not-a-token",
    "name": "x.atom",
}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
        if path not in ("/healthz", "/readyz", "/openapi.json")
    ]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), "999999"), path)


async def test_every_api_route_has_a_declaration(client: httpx.AsyncClient) -> None:
    assert undeclared_operations(list(http_app(client).routes)) == []


async def test_the_document_covers_the_api(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "session"}
    search = spec["paths"]["/api/v1/assets"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert {"q", "tag", "facet", "sort", "page", "per_page"} <= names
    upload = spec["paths"]["/api/v1/assets"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"]
    patch = spec["paths"]["/api/v1/assets/{asset_id}"]["patch"]
    assert "If-Match" in {p["name"] for p in patch["parameters"] if p["in"] == "header"}
    assert {"412", "428", "409", "422", "413", "401", "403", "404"} <= set(patch["responses"])
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    assert body["properties"]["title"]["maxLength"] == 200
    preset = spec["paths"]["/api/v1/presets"]["post"]["requestBody"]["content"]
    assert preset["application/json"]["schema"]["properties"]["width"]["maximum"] == 4096
    profile = spec["paths"]["/api/v1/profiles/{profile_id}"]["get"]["parameters"][0]
    assert profile["schema"]["type"] == "integer"
    codes = {code for _, _, op in _operations(spec) for code in op["responses"]}
    assert {"400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "429"} <= codes
    assert "503" in codes


async def test_every_operation_refuses_an_undeclared_query_parameter(
    client: httpx.AsyncClient, spec: dict[str, Any]
) -> None:
    await authorise(client, Role.ADMIN)  # through every policy: the declaration answers
    accepted = []
    for method, path, op in _operations(spec):
        declared = {p["name"] for p in op.get("parameters", [])}
        assert "zz_undeclared" not in declared
        if "other" in declared:  # says so: any other parameter is accepted and ignored
            continue
        response = await client.request(method, _url(path), params={"zz_undeclared": "1"})
        if response.status_code != 400 or "Unknown parameter" not in response.text:
            accepted.append(f"{method} {path}: {response.status_code}")
    assert accepted == []


async def test_every_json_body_refuses_an_undeclared_field(
    client: httpx.AsyncClient, spec: dict[str, Any]
) -> None:
    await authorise(client, Role.ADMIN)
    accepted = []
    for method, path, op in _operations(spec):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        declared = content["application/json"]["schema"]["properties"]
        assert "zz_undeclared" not in declared
        response = await client.request(method, _url(path), json={"zz_undeclared": 1})
        if response.status_code != 422 or "Unknown field" not in response.text:
            accepted.append(f"{method} {path}: {response.status_code} {response.text[:80]}")
    assert accepted == []


def test_handlers_read_no_input_around_their_declarations() -> None:
    """Only the declaration mechanism reads query strings and JSON bodies."""
    readers = re.compile(r"\.query_params|read_json_object\(|request\.json\(|request\.body\(")
    found = []
    for source in sorted(API_SOURCES.glob("*.py")):
        if source.name in ("operations.py", "bodies.py"):
            continue
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if readers.search(line) and "search_query_from(request.query_params" not in line:
                found.append(f"{source.name}:{number}: {line.strip()}")
    # search_query_from checks the query against the same SEARCH_PARAMS the listing declares.
    assert found == []


async def test_every_request_header_a_handler_reads_is_documented(spec: dict[str, Any]) -> None:
    framing = {"content-type", "content-length"}  # the multipart body, declared as such
    documented = {
        p["name"].lower()
        for _, _, op in _operations(spec)
        for p in op.get("parameters", [])
        if p["in"] == "header"
    }
    read = set()
    for source in API_SOURCES.glob("*.py"):
        read |= set(re.findall(r'request\.headers\.get\("([^"]+)"', source.read_text()))
    storage = (API_SOURCES.parent / "storage_responses.py").read_text()
    read |= set(re.findall(r'request\.headers\.get\("([^"]+)"', storage))
    assert {name.lower() for name in read} - framing - documented == set()


async def test_405_names_every_method_the_address_takes(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/assets")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    profile = await client.post("/api/v1/profiles/1")
    assert profile.status_code == 405
    assert {"GET", "PATCH", "DELETE"} <= set(profile.headers["allow"].replace(" ", "").split(","))
