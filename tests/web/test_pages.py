"""The search and asset pages: results, facets, thumbnails, escaping and security headers."""

from __future__ import annotations

import re

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.conftest import app_client, make_jpeg, make_user

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


async def test_pages_use_the_service_header_skip_link_and_footer(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert '<a href="#main-content" class="govuk-skip-link">' in page.text
    assert 'id="main-content"' in page.text
    assert "govuk-generic-header" in page.text and ">assets hub</a>" in page.text
    assert 'href="/accessibility"' in page.text
    assert 'href="/static/build/app.css"' in page.text
    assert '<script type="module" src="/static/js/app.mjs"></script>' in page.text
    # Not a GOV.UK service: no crown, no GOV.UK logotype, no GDS Transport.
    for forbidden in ("govuk-logo", "govuk-header__logotype", "GDS Transport", "crown"):
        assert forbidden not in page.text


async def test_the_accessibility_statement_needs_no_sign_in(settings: Settings) -> None:
    async with app_client(settings) as anonymous:
        page = await anonymous.get("/accessibility")
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Accessibility statement' in page.text
    assert "WCAG" in page.text and "Sign out" not in page.text


async def test_signed_in_pages_carry_a_sign_out_form_with_the_csrf_token(
    settings: Settings,
) -> None:
    async with app_client(settings) as http:
        await make_user(
            http,
            Role.LIBRARY_MEMBER,
            library="leeds",
            email="m@example.org",
            password="a long enough password",
        )
        signed = await http.post(
            "/signin", data={"email": "m@example.org", "password": "a long enough password"}
        )
        assert signed.status_code == 303
        page = await http.get("/")
    form = re.search(
        r'<form class="app-signout" method="post" action="/signout">(.*?)</form>', page.text, re.S
    )
    assert form is not None
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(1))
    assert token is not None and len(token.group(1)) >= 20
    assert "Signed in as m@example.org" in form.group(1)
    assert 'aria-current="page"' in page.text  # "Search" is the current navigation item
    assert 'href="/upload"' not in page.text  # members see no editor navigation


async def test_search_state_lives_in_the_url(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/campaigns", json={"slug": "summer", "name": "Summer"})
    for n in range(26):
        await _upload(client, f"Poster number {n}", campaign="summer", tags="children")
    page = await client.get("/", params={"q": "poster", "campaign": "summer", "sort": "title"})
    assert page.status_code == 200
    # The active filter is a link that removes it and keeps the rest.
    assert 'href="/?q=poster&amp;sort=title">' in page.text
    assert "Campaign: Summer" in page.text
    # Pagination keeps the words, filters and sort.
    assert 'href="/?q=poster&amp;campaign=summer&amp;sort=title&amp;page=2" rel="next"' in page.text
    assert '<option value="title" selected>' in page.text
    assert 'value="summer" checked' in page.text
    second = await client.get(
        "/", params={"q": "poster", "campaign": "summer", "sort": "title", "page": "2"}
    )
    assert 'aria-current="page">2</a>' in second.text
    assert 'rel="prev"' in second.text


async def test_a_form_error_prefixes_the_title_and_links_the_field(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/", params={"q": "x" * 600})
    assert page.status_code == 400
    assert "<title>Error: " in page.text
    assert 'class="govuk-error-summary"' in page.text and 'href="#q"' in page.text
    assert 'aria-describedby="q-error"' in page.text


async def test_a_failed_sign_in_shows_an_error_summary_and_inline_error(
    settings: Settings,
) -> None:
    async with app_client(settings) as anonymous:
        page = await anonymous.post(
            "/signin", data={"email": "nobody@example.org", "password": "wrong"}
        )
    assert page.status_code == 401
    assert "<title>Error: Sign in – assets hub</title>" in page.text
    assert 'class="govuk-error-summary"' in page.text and 'href="#email"' in page.text
    assert 'id="email-error"' in page.text and 'aria-describedby="email-error"' in page.text
    assert 'value="nobody@example.org"' in page.text


async def test_the_asset_page_lists_metadata_in_a_summary_list(
    client: httpx.AsyncClient,
) -> None:
    asset = await _upload(client, "Flyer", tags="families")
    page = await client.get(f"/assets/{asset['id']}")
    assert 'class="govuk-summary-list"' in page.text
    assert 'class="govuk-back-link"' in page.text
    assert "640 × 480 pixels" in page.text


async def test_pages_stay_light(client: httpx.AsyncClient) -> None:
    """Issue 9's budget: under 150 KB per page excluding images (HTML, CSS, scripts)."""
    for n in range(24):
        await _upload(client, f"Reading poster {n}", tags="children, summer, reading")
    page = await client.get("/", params={"q": "poster"})
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|mjs|js))"', page.text)
    assert "/static/build/app.css" in assets and "/static/js/app.mjs" in assets
    total = len(page.content)
    for path in assets:
        response = await client.get(path)
        if response.status_code == 404 and path.startswith("/static/build/"):
            pytest.skip("static/build/ is not built (npm ci && npm run build)")
        assert response.status_code == 200, path
        total += len(response.content)
    assert total < 150 * 1024, f"{total / 1024:.0f} KB"


async def test_asset_page_shows_rights_and_more_like_this(client: httpx.AsyncClient) -> None:
    from tests.conftest import PUBLISHABLE, make_jpeg

    async def upload(title: str, colour: str, **extra: str) -> str:
        response = await client.post(
            "/api/v1/assets",
            files={"file": ("p.jpg", make_jpeg(colour=colour), "image/jpeg")},
            data={**PUBLISHABLE, "title": title, "tags": "summer, reading", **extra},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    first = await upload(
        "Summer reading poster", "#112233", licence="cc-by-4.0", credit="Photo: A. Photographer"
    )
    await upload("Summer reading badge", "#332211")
    page = await client.get(f"/assets/{first}")
    assert page.status_code == 200
    assert "Creative Commons Attribution 4.0" in page.text
    assert "Photo: A. Photographer" in page.text and "Must be shown" in page.text
    assert "More like this" in page.text and "Summer reading badge" in page.text
    assert f'href="/editor/assets/{first}"' in page.text  # editors get the way in
