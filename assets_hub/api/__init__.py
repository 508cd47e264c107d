"""JSON API v1, mounted at /api/v1 (name "api")."""

from __future__ import annotations

from starlette.routing import Route

from assets_hub.api import accounts, assets

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
    Route("/me", accounts.me, methods=["GET"], name="me"),
    Route("/libraries", accounts.list_libraries, methods=["GET"], name="libraries"),
    Route("/libraries", accounts.create_library, methods=["POST"], name="library_create"),
    Route("/users", accounts.list_users, methods=["GET"], name="users"),
    Route("/users/{user_id}", accounts.update_user, methods=["PATCH"], name="user_update"),
    Route("/invitations", accounts.create_invitation, methods=["POST"], name="invitation_create"),
    Route("/tokens", accounts.list_tokens, methods=["GET"], name="tokens"),
    Route("/tokens", accounts.create_token, methods=["POST"], name="token_create"),
    Route("/tokens/{token_id}", accounts.revoke_token, methods=["DELETE"], name="token_revoke"),
    Route("/audit", accounts.list_audit, methods=["GET"], name="audit"),
]
