"""HTML pages (name "web")."""

from __future__ import annotations

from starlette.routing import Route

from assets_hub.web import pages

routes = [
    Route("/", pages.search_page, methods=["GET"], name="search"),
    Route("/assets/{asset_id}", pages.asset_page, methods=["GET"], name="asset"),
]
