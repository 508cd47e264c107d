"""Every route x every role, built from the route table: a new route without an expectation
here fails this test, and a route without a declared policy stops the app from starting
(SECURITY.md section 2 matrix, AZ-01, AZ-04, AZ-07)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from assets_hub import db
from assets_hub.app import create_app
from assets_hub.auth.policy import undeclared_routes
from assets_hub.models import Role, Session
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings
from tests.auth.conftest import People, sign_in
from tests.conftest import (
    PUBLISHABLE,
    app_client,
    authorise,
    http_app,
    http_state,
    make_jpeg,
    token_for,
)

ANON, MEMBER, LADMIN, EDITOR, ADMIN = "anonymous", "member", "library_admin", "editor", "admin"
EVERYONE = {ANON, MEMBER, LADMIN, EDITOR, ADMIN}
SIGNED_IN = {MEMBER, LADMIN, EDITOR, ADMIN}

# (method, route path) -> roles allowed through the route's policy. Written from the matrix
# in SECURITY.md, not derived from the code, so a policy typo shows up here.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,  # from loopback, as these calls come; others: 403
    ("GET", "/"): SIGNED_IN,
    ("GET", "/assets/{asset_id}"): SIGNED_IN,
    ("GET", "/signin"): EVERYONE,
    ("POST", "/signin"): EVERYONE,
    ("POST", "/signout"): SIGNED_IN,
    ("GET", "/invitation/{token}"): EVERYONE,
    ("POST", "/invitation/{token}"): EVERYONE,
    ("GET", "/reset-password"): EVERYONE,
    ("POST", "/reset-password"): EVERYONE,
    ("GET", "/reset-password/{token}"): EVERYONE,
    ("POST", "/reset-password/{token}"): EVERYONE,
    ("GET", "/api/v1/assets"): SIGNED_IN,
    ("POST", "/api/v1/assets"): {EDITOR, ADMIN},
    ("GET", "/api/v1/assets/{asset_id}"): SIGNED_IN,
    ("GET", "/api/v1/assets/{asset_id}/download"): SIGNED_IN,
    ("GET", "/api/v1/assets/{asset_id}/thumbnail"): SIGNED_IN,
    ("GET", "/api/v1/campaigns"): SIGNED_IN,
    ("POST", "/api/v1/campaigns"): {EDITOR, ADMIN},
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/libraries"): SIGNED_IN,
    ("POST", "/api/v1/libraries"): {ADMIN},
    ("GET", "/api/v1/users"): {LADMIN, ADMIN},
    ("PATCH", "/api/v1/users/{user_id}"): {LADMIN, ADMIN},
    ("POST", "/api/v1/invitations"): {LADMIN, ADMIN},
    ("GET", "/api/v1/tokens"): SIGNED_IN,
    ("POST", "/api/v1/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/tokens/{token_id}"): SIGNED_IN,
    ("GET", "/api/v1/audit"): {LADMIN, EDITOR, ADMIN},
    ("GET", "/accessibility"): EVERYONE,
    ("GET", "/r/{token}"): EVERYONE,
    ("GET", "/api/v1/assets/{asset_id}/similar"): SIGNED_IN,
    ("GET", "/api/v1/assets/{asset_id}/render"): SIGNED_IN,
    ("GET", "/api/v1/assets/{asset_id}/render/preview"): SIGNED_IN,
    ("POST", "/api/v1/assets/{asset_id}/render-link"): SIGNED_IN,
    ("GET", "/api/v1/assets/{asset_id}/template"): {EDITOR, ADMIN},
    ("PUT", "/api/v1/assets/{asset_id}/template"): {EDITOR, ADMIN},
    ("GET", "/api/v1/search/synonyms"): {EDITOR, ADMIN},
    ("PUT", "/api/v1/search/synonyms"): {EDITOR, ADMIN},
    ("GET", "/api/v1/libraries/{slug}/profiles"): SIGNED_IN,
    ("POST", "/api/v1/libraries/{slug}/profiles"): {LADMIN, ADMIN},
    ("GET", "/api/v1/profiles/{profile_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/profiles/{profile_id}"): {LADMIN, ADMIN},
    ("DELETE", "/api/v1/profiles/{profile_id}"): {LADMIN, ADMIN},
    ("GET", "/api/v1/profiles/{profile_id}/logo"): SIGNED_IN,
    ("PUT", "/api/v1/profiles/{profile_id}/logo"): {LADMIN, ADMIN},
    ("GET", "/api/v1/presets"): SIGNED_IN,
    ("POST", "/api/v1/presets"): {ADMIN},
    ("PATCH", "/api/v1/presets/{key}"): {ADMIN},
    ("GET", "/api/v1/templates"): {EDITOR, ADMIN},
    ("PUT", "/api/v1/assets/{asset_id}/brand-zone"): {EDITOR, ADMIN},
    ("POST", "/api/v1/posts"): {EDITOR, ADMIN},
    ("GET", "/api/v1/posts/{asset_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/posts/{asset_id}"): {EDITOR, ADMIN},
    ("GET", "/api/v1/posts/{asset_id}/grab.zip"): SIGNED_IN,
    ("GET", "/api/v1/campaigns/{slug}/pack.zip"): SIGNED_IN,
    ("GET", "/api/v1/campaigns/{slug}/readiness"): {EDITOR, ADMIN},
    ("POST", "/api/v1/feed-tokens"): {LADMIN, ADMIN},
    ("DELETE", "/api/v1/feed-tokens/{token_id}"): {LADMIN, ADMIN},
    ("GET", "/feeds/{token}/{name}"): EVERYONE,
    ("GET", "/assets/{asset_id}/customise"): SIGNED_IN,
    ("GET", "/library"): SIGNED_IN,
    ("GET", "/library/downloads"): SIGNED_IN,
    ("GET", "/library/staff"): {LADMIN, ADMIN},
    ("POST", "/library/staff"): {LADMIN, ADMIN},
    ("POST", "/library/notices/{notice_id}/done"): SIGNED_IN,
    ("GET", "/library/profiles/new"): {LADMIN, ADMIN},
    ("POST", "/library/profiles"): {LADMIN, ADMIN},
    ("GET", "/library/profiles/{profile_id}"): SIGNED_IN,
    ("POST", "/library/profiles/{profile_id}"): {LADMIN, ADMIN},
    ("POST", "/library/profiles/{profile_id}/logo"): {LADMIN, ADMIN},
    ("GET", "/library/profiles/{profile_id}/preview"): SIGNED_IN,
    ("GET", "/editor/upload"): {EDITOR, ADMIN},
    ("POST", "/editor/upload"): {EDITOR, ADMIN},
    ("POST", "/editor/upload/alt-text"): {EDITOR, ADMIN},
    ("GET", "/editor/review"): {EDITOR, ADMIN},
    ("GET", "/editor/audit"): {LADMIN, EDITOR, ADMIN},
    ("GET", "/editor/templates"): {EDITOR, ADMIN},
    ("GET", "/editor/templates/new"): {EDITOR, ADMIN},
    ("POST", "/editor/templates/new"): {EDITOR, ADMIN},
    ("GET", "/editor/templates/{key}"): {EDITOR, ADMIN},
    ("POST", "/editor/templates/{key}"): {EDITOR, ADMIN},
    ("GET", "/editor/template-preview"): {EDITOR, ADMIN},
    ("GET", "/admin/presets"): {ADMIN},
    ("GET", "/admin/presets/new"): {ADMIN},
    ("POST", "/admin/presets/new"): {ADMIN},
    ("GET", "/admin/presets/{key}"): {ADMIN},
    ("POST", "/admin/presets/{key}"): {ADMIN},
    ("GET", "/editor/assets/{asset_id}"): {EDITOR, ADMIN},
    # Issue 16: content editors, self-service pages.
    **{
        (method, path): {EDITOR, ADMIN}
        for method in ("GET", "POST")
        for path in (
            "/editor/case-studies/new",
            "/editor/case-studies/{asset_id}",
            "/editor/posts/new",
            "/editor/posts/{asset_id}",
            "/editor/synonyms",
        )
    },
    ("GET", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): SIGNED_IN,
    ("GET", "/library/feeds"): {LADMIN, ADMIN},
    ("POST", "/library/feeds"): {LADMIN, ADMIN},
    ("POST", "/library/feeds/{token_id}/revoke"): {LADMIN, ADMIN},
    **{
        ("POST", f"/editor/assets/{{asset_id}}{path}"): {EDITOR, ADMIN}
        for path in (
            "",
            "/focal-point",
            "/brand-zone",
            "/template",
            "/submit",
            "/publish",
            "/withdraw",
            "/archive",
            "/delete",
            "/undelete",
            "/versions",
            "/versions/{number}/restore",
            "/consents",
            "/consents/{consent_id}/withdraw",
        )
    },
    ("POST", "/api/v1/case-studies"): {EDITOR, ADMIN},
    ("GET", "/api/v1/case-studies/{asset_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/case-studies/{asset_id}"): {EDITOR, ADMIN},
    ("POST", "/api/v1/templates"): {EDITOR, ADMIN},
    ("GET", "/api/v1/assets/{asset_id}/preview"): SIGNED_IN,
    ("GET", "/api/v1/notices"): SIGNED_IN,
    ("POST", "/api/v1/notices/{notice_id}/done"): SIGNED_IN,
    **{
        (method, f"/api/v1/assets{path}"): {EDITOR, ADMIN}
        for method, path in (
            ("POST", "/batch"),
            ("PATCH", "/{asset_id}"),
            ("DELETE", "/{asset_id}"),
            ("POST", "/{asset_id}/undelete"),
            ("POST", "/{asset_id}/tags"),
            ("POST", "/{asset_id}/submit"),
            ("POST", "/{asset_id}/publish"),
            ("POST", "/{asset_id}/withdraw"),
            ("POST", "/{asset_id}/archive"),
            ("GET", "/{asset_id}/versions"),
            ("POST", "/{asset_id}/versions"),
            ("GET", "/{asset_id}/versions/{number}/download"),
            ("POST", "/{asset_id}/versions/{number}/restore"),
            ("GET", "/{asset_id}/consents"),
            ("POST", "/{asset_id}/consents"),
            ("POST", "/{asset_id}/consents/{consent_id}/withdraw"),
        )
    },
    ("GET", "/api/v1/pack-jobs/{job_id}"): SIGNED_IN,
    ("GET", "/api/v1/pack-jobs/{job_id}/download"): SIGNED_IN,
    ("GET", "/packs/{job_id}"): SIGNED_IN,
    # Campaigns, social post grab pages and home (web/campaign_pages.py, web/home_pages.py).
    ("GET", "/home"): SIGNED_IN,
    ("GET", "/campaigns"): SIGNED_IN,
    ("GET", "/campaigns/{slug}"): SIGNED_IN,
    ("GET", "/campaigns/{slug}/pack"): SIGNED_IN,
    ("GET", "/posts/{asset_id}"): SIGNED_IN,
    # Usage figures and open data (api/analytics.py, web/analytics_pages.py).
    ("GET", "/api/v1/analytics/downloads"): {LADMIN, EDITOR, ADMIN},
    ("GET", "/editor/analytics"): {EDITOR, ADMIN},
    ("GET", "/editor/analytics/{table}.csv"): {EDITOR, ADMIN},
    ("GET", "/library/analytics"): SIGNED_IN,
    ("GET", "/open-data"): EVERYONE,
    ("GET", "/open-data/downloads.csv"): EVERYONE,
    ("GET", "/open-data/downloads.json"): EVERYONE,
    ("GET", "/open-data/datapackage.json"): EVERYONE,
}


def _route_table(routes: list[object], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount) and route.name != "static":
            found += _route_table(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, prefix + route.path_format))  # {id} without ":id"
    return found


@pytest.fixture
async def callers(app: httpx.AsyncClient, people: People) -> dict[str, dict[str, str]]:
    headers = {ANON: {}}
    for role, user in (
        (MEMBER, people.leeds_member),
        (LADMIN, people.leeds_admin),
        (EDITOR, people.editor),
        (ADMIN, people.admin),
    ):
        headers[role] = {"Authorization": f"Bearer {await token_for(app, user)}"}
    return headers


async def test_every_route_answers_every_role_as_the_matrix_says(
    app: httpx.AsyncClient, people: People, callers: dict[str, dict[str, str]]
) -> None:
    table = _route_table(list(http_app(app).routes))
    missing = sorted(set(table) - set(EXPECTED))
    assert missing == [], f"routes without an expectation in this test: {missing}"
    upload = await app.post(
        "/api/v1/assets",
        files={"file": ("a.jpg", make_jpeg(), "image/jpeg")},
        data={"title": "Published poster"},
        headers=callers[EDITOR],
    )
    params = {
        "asset_id": upload.json()["id"],
        "user_id": str(people.leeds_member.id),
        "token_id": "999999",  # nobody's: a real id would be revoked half way through
        "number": "1",
        "consent_id": "999999",
        "notice_id": "999999",
        "profile_id": "999999",
        "slug": "leeds",
        "key": "no-such-preset",
        "name": "x.atom",
        "token": "not-a-real-link",
        "job_id": "00000000-0000-4000-8000-000000000000",  # no such pack job
        "table": "library",
    }
    problems = []
    for method, path in table:
        url = path.format(**params)
        for role, headers in callers.items():
            body = {"json": {}} if method in ("POST", "PATCH", "PUT") and "/api/" in path else {}
            response = await app.request(method, url, headers=headers, **body)  # type: ignore[arg-type]
            status = response.status_code
            # Refused by the route's policy (not by the handler's own answer, such as a wrong
            # password's 401): these are the policy layer's messages.
            refused = (
                (status == 401 and "Please sign in." in response.text)
                or (status == 403 and "Your account cannot do that." in response.text)
                or (status == 303 and response.headers["location"].startswith("/signin?next="))
            )
            allowed = role in EXPECTED[(method, path)]
            if allowed == refused or status >= 500:
                problems.append(f"{method} {path} as {role}: {status}")
    assert "\n".join(problems) == ""


async def test_other_librarys_objects_are_not_found(
    app: httpx.AsyncClient, people: People, callers: dict[str, dict[str, str]]
) -> None:
    libraries = await app.get("/api/v1/libraries", headers=callers[MEMBER])
    assert [lib["slug"] for lib in libraries.json()["libraries"]] == ["leeds"]
    leeds_admin = callers[LADMIN]
    patch = await app.patch(
        f"/api/v1/users/{people.kent_member.id}", json={"is_active": False}, headers=leeds_admin
    )
    assert patch.status_code == 404
    own = await app.patch(
        f"/api/v1/users/{people.leeds_member.id}", json={"is_active": False}, headers=leeds_admin
    )
    assert own.status_code == 200 and own.json()["is_active"] is False
    disabled = await app.get("/api/v1/me", headers=callers[MEMBER])
    assert disabled.status_code == 401  # switched off: out on the very next request
    users = await app.get("/api/v1/users", headers=leeds_admin)
    assert {u["library"]["slug"] for u in users.json()["users"]} == {"leeds"}
    everything = await app.get("/api/v1/libraries", headers=callers[EDITOR])
    assert {lib["slug"] for lib in everything.json()["libraries"]} == {"kent", "leeds"}


async def test_mass_assignment_is_refused(
    app: httpx.AsyncClient, people: People, callers: dict[str, dict[str, str]]
) -> None:
    for body in ({"library_id": 2}, {"role": "admin", "library": "kent"}, {"id": 9}):
        response = await app.patch(
            f"/api/v1/users/{people.leeds_member.id}", json=body, headers=callers[LADMIN]
        )
        assert response.status_code in (403, 422), body
    promote = await app.patch(
        f"/api/v1/users/{people.leeds_member.id}", json={"role": "editor"}, headers=callers[LADMIN]
    )
    assert promote.status_code == 403
    me = await app.get("/api/v1/me", headers=callers[MEMBER])
    assert me.json()["role"] == "library_member" and me.json()["library"]["slug"] == "leeds"


async def test_staff_never_see_drafts_anywhere(
    app: httpx.AsyncClient, callers: dict[str, dict[str, str]]
) -> None:
    draft = await app.post(
        "/api/v1/assets",
        files={"file": ("d.jpg", make_jpeg(), "image/jpeg")},
        data={"title": "Secret launch poster", "status": "draft"},
        headers=callers[EDITOR],
    )
    asset_id = draft.json()["id"]
    for role in (MEMBER, LADMIN):
        for path in (
            f"/api/v1/assets/{asset_id}",
            f"/api/v1/assets/{asset_id}/download",
            f"/api/v1/assets/{asset_id}/thumbnail",
            f"/assets/{asset_id}",
        ):
            assert (await app.get(path, headers=callers[role])).status_code == 404, (role, path)
        found = await app.get("/api/v1/assets", params={"q": "secret"}, headers=callers[role])
        assert found.json()["total"] == 0
        assert found.json()["facets"]["kind"] == {}
    editor_view = await app.get("/api/v1/assets", params={"q": "secret"}, headers=callers[EDITOR])
    assert editor_view.json()["total"] == 1


async def test_admin_changes_need_a_recent_sign_in(app: httpx.AsyncClient, people: People) -> None:
    await sign_in(app, "admin@example.org")
    page = await app.get("/")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    headers = {"X-CSRF-Token": token}
    fresh = await app.post("/api/v1/libraries", json={"name": "York Libraries"}, headers=headers)
    assert fresh.status_code == 201
    with db.activate(http_state(app).database):
        await Session.all().update(authenticated_at=utcnow() - timedelta(minutes=16))
    stale = await app.post("/api/v1/libraries", json={"name": "Hull Libraries"}, headers=headers)
    assert stale.status_code == 403 and "sign in again" in stale.json()["error"]


async def test_public_catalogue_shows_only_published_to_visitors(
    make_settings: Callable[..., Settings],
) -> None:
    async with app_client(make_settings(public_catalogue=True)) as http:
        await authorise(http, Role.EDITOR)
        for title, status in (("Open poster", "published"), ("Hidden poster", "draft")):
            await http.post(
                "/api/v1/assets",
                data={**PUBLISHABLE, "title": title, "status": status},
                files={"file": ("p.jpg", make_jpeg(), "image/jpeg")},
            )
        del http.headers["Authorization"]
        listing = await http.get("/api/v1/assets", params={"q": "poster"})
        assert [hit["title"] for hit in listing.json()["hits"]] == ["Open poster"]
        assert (await http.get("/")).status_code == 200
        assert (await http.post("/api/v1/campaigns", json={})).status_code == 401
        hit = listing.json()["hits"][0]
        assert (await http.get(hit["links"]["download"])).status_code == 401


def test_a_route_without_a_policy_stops_the_app(settings: Settings) -> None:
    async def naked(request: object) -> PlainTextResponse:
        return PlainTextResponse("no policy")

    assert undeclared_routes([Route("/naked", naked)]) == ["/naked"]
    app = create_app(settings)
    app.router.routes.append(Route("/naked", naked))
    assert undeclared_routes(app.routes) == ["/naked"]
