"""HTML pages (name "web")."""

from __future__ import annotations

from starlette.routing import Route

from assets_hub.web import account_pages, pages, static_pages

routes = [
    Route("/", pages.search_page, methods=["GET"], name="search"),
    Route("/assets/{asset_id}", pages.asset_page, methods=["GET"], name="asset"),
    Route("/signin", account_pages.signin, methods=["GET", "POST"], name="signin"),
    Route("/signout", account_pages.signout, methods=["POST"], name="signout"),
    Route(
        "/invitation/{token}",
        account_pages.accept_invitation,
        methods=["GET", "POST"],
        name="invitation",
    ),
    Route(
        "/reset-password",
        account_pages.request_reset,
        methods=["GET", "POST"],
        name="reset_request",
    ),
    Route(
        "/reset-password/{token}",
        account_pages.reset_password,
        methods=["GET", "POST"],
        name="reset_password",
    ),
    Route(
        "/accessibility",
        static_pages.accessibility_statement,
        methods=["GET"],
        name="accessibility",
    ),
]
