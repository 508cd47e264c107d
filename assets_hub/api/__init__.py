"""JSON API v1, mounted at /api/v1 (name "api")."""

from __future__ import annotations

from starlette.routing import Route

from assets_hub.api import assets

routes = [
    Route("/assets", assets.list_assets, methods=["GET"], name="assets"),
    Route("/assets", assets.create_asset, methods=["POST"], name="asset_create"),
    Route("/assets/{asset_id}", assets.get_asset, methods=["GET"], name="asset"),
    Route(
        "/assets/{asset_id}/download", assets.download_asset, methods=["GET"], name="asset_download"
    ),
    Route(
        "/assets/{asset_id}/thumbnail",
        assets.asset_thumbnail,
        methods=["GET"],
        name="asset_thumbnail",
    ),
    Route("/campaigns", assets.list_campaigns, methods=["GET"], name="campaigns"),
    Route("/campaigns", assets.create_campaign, methods=["POST"], name="campaign_create"),
]
