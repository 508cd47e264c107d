"""The search and asset pages: results, facets, thumbnails, escaping and security headers."""

from __future__ import annotations

import httpx

from tests.conftest import make_jpeg

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}'


async def _upload(client: httpx.AsyncClient, title: str, **fields: str) -> dict[str, object]:
    response = await client.post(
        "/api/v1/assets",
        files={"file": (f"{title[:10]}.jpg", make_jpeg(colour="#aa3300"), "image/jpeg")},
        data={"title": title, **fields},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_search_page_lists_results_with_thumbnails_and_facets(
    client: httpx.AsyncClient,
) -> None:
    await client.post(
        "/api/v1/campaigns", json={"slug": "summer-reading", "name": "Summer Reading"}
    )
    asset = await _upload(
        client, "Summer reading poster", campaign="summer-reading", tags="children"
    )
    await _upload(client, "Library bus")
    page = await client.get("/", params={"q": "poster"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'href="/assets/{asset["id"]}"' in page.text
    assert f'src="/api/v1/assets/{asset["id"]}/thumbnail"' in page.text
    assert "<mark>" in page.text  # the matched word is highlighted
    assert "1 result" in page.text
    assert "Summer Reading (1)" in page.text  # campaign facet with its count
    assert "<title>Search: poster – assets hub</title>" in page.text


async def test_asset_page_has_a_download_button(client: httpx.AsyncClient) -> None:
    asset = await _upload(client, "Storytime flyer", description="For families")
    page = await client.get(f"/assets/{asset['id']}")
    assert page.status_code == 200
    assert "Storytime flyer" in page.text and "For families" in page.text
    assert f'href="/api/v1/assets/{asset["id"]}/download"' in page.text


async def test_user_text_is_escaped_everywhere(client: httpx.AsyncClient) -> None:
    asset = await _upload(client, XSS, description=XSS, tags="<b>bold</b>")
    for path in (f"/assets/{asset['id']}", "/?q=script", "/"):
        page = await client.get(path)
        assert "<script>alert(1)</script>" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text
        assert "{{7*7}}" in page.text and ">49<" not in page.text
    api = await client.get(f"/api/v1/assets/{asset['id']}")
    assert api.json()["title"] == XSS  # the JSON API returns text verbatim


async def test_security_headers_on_pages_and_api(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    csp = page.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    api = await client.get("/api/v1/assets")
    assert api.headers["x-content-type-options"] == "nosniff"


async def test_download_from_the_app_is_an_attachment_in_a_sandbox(
    client: httpx.AsyncClient,
) -> None:
    asset = await _upload(client, "Poster")
    response = await client.get(f"/api/v1/assets/{asset['id']}/download")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_error_pages_are_html_for_pages_and_json_for_the_api(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/assets/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    api = await client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json() == {"error": "There is nothing at this address."}


async def test_bad_search_parameters_are_400_with_a_message(client: httpx.AsyncClient) -> None:
    for params, words in (
        ({"q": "x" * 513}, "too long"),
        ({"per_page": "1000"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "whole number"),
        ({"sort": "random"}, "sort must be one of"),
        ({"page": "1000", "per_page": "100"}, "first 10,000"),
    ):
        response = await client.get("/api/v1/assets", params=params)
        assert response.status_code == 400, params
        assert words in response.json()["error"]
    page = await client.get("/", params={"q": "x" * 600})
    assert page.status_code == 400 and "too long" in page.text
