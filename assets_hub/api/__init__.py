"""JSON API v1, mounted at /api/v1 (name "api"). Every endpoint declares its policy."""

from __future__ import annotations

from starlette.routing import Route

import assets_hub.ids  # noqa: F401  (registers the {name:id} path convertor)
from assets_hub.api import (
    accounts,
    analytics,
    asset_edits,
    assets,
    branding,
    documents,
    feeds,
    notices,
    pack_jobs,
    posts,
    prerender,
    renders,
    search_admin,
)

A = "/assets/{asset_id}"

routes = [
    Route("/assets", assets.list_assets, methods=["GET"], name="assets"),
    Route("/assets", assets.create_asset, methods=["POST"], name="asset_create"),
    Route("/assets/batch", assets.create_assets_batch, methods=["POST"], name="asset_batch"),
    Route(A, assets.get_asset, methods=["GET"], name="asset"),
    Route(A, asset_edits.update_asset, methods=["PATCH"], name="asset_update"),
    Route(A, asset_edits.delete_asset, methods=["DELETE"], name="asset_delete"),
    Route(f"{A}/download", assets.download_asset, methods=["GET"], name="asset_download"),
    Route(f"{A}/thumbnail", assets.asset_thumbnail, methods=["GET"], name="asset_thumbnail"),
    Route(f"{A}/preview", assets.asset_preview, methods=["GET"], name="asset_preview"),
    Route(f"{A}/similar", search_admin.similar_assets, methods=["GET"], name="asset_similar"),
    Route(f"{A}/render", renders.render, methods=["GET"], name="asset_render"),
    Route(f"{A}/render/preview", renders.preview, methods=["GET"], name="asset_render_preview"),
    Route(f"{A}/render-link", renders.create_link, methods=["POST"], name="asset_render_link"),
    Route(f"{A}/brand-zone", documents.put_brand_zone, methods=["PUT"], name="asset_brand_zone"),
    Route("/case-studies", documents.create_case_study, methods=["POST"], name="case_study_create"),
    Route("/case-studies/{asset_id}", documents.get_case_study, methods=["GET"], name="case_study"),
    Route(
        "/case-studies/{asset_id}",
        documents.update_case_study,
        methods=["PATCH"],
        name="case_study_update",
    ),
    Route(f"{A}/template", branding.get_asset_template, methods=["GET"], name="asset_template"),
    Route(f"{A}/template", branding.put_asset_template, methods=["PUT"], name="asset_template_put"),
    Route(f"{A}/undelete", asset_edits.undelete_asset, methods=["POST"], name="asset_undelete"),
    Route(f"{A}/tags", asset_edits.add_tags, methods=["POST"], name="asset_tags"),
    *(
        Route(f"{A}/{action}", asset_edits.change_status, methods=["POST"], name=f"asset_{action}")
        for action in ("submit", "publish", "withdraw", "archive")
    ),
    Route(f"{A}/versions", asset_edits.list_versions, methods=["GET"], name="asset_versions"),
    Route(f"{A}/versions", asset_edits.add_version, methods=["POST"], name="asset_version_add"),
    Route(
        f"{A}/versions/{{number:id}}/download",
        asset_edits.download_version,
        methods=["GET"],
        name="asset_version_download",
    ),
    Route(
        f"{A}/versions/{{number:id}}/restore",
        asset_edits.restore_version,
        methods=["POST"],
        name="asset_version_restore",
    ),
    Route(f"{A}/consents", asset_edits.list_consents, methods=["GET"], name="asset_consents"),
    Route(f"{A}/consents", asset_edits.add_consent, methods=["POST"], name="asset_consent_add"),
    Route(
        f"{A}/consents/{{consent_id:id}}/withdraw",
        asset_edits.withdraw_consent,
        methods=["POST"],
        name="asset_consent_withdraw",
    ),
    Route("/notices", notices.list_notices, methods=["GET"], name="notices"),
    Route(
        "/notices/{notice_id:id}/done", notices.notice_done, methods=["POST"], name="notice_done"
    ),
    Route("/search/synonyms", search_admin.get_synonyms, methods=["GET"], name="synonyms"),
    Route("/search/synonyms", search_admin.put_synonyms, methods=["PUT"], name="synonyms_put"),
    Route("/posts", posts.create_post, methods=["POST"], name="post_create"),
    Route("/posts/{asset_id}", posts.grab_post, methods=["GET"], name="post"),
    Route("/posts/{asset_id}", posts.update_post, methods=["PATCH"], name="post_update"),
    Route("/posts/{asset_id}/grab.zip", posts.grab_zip, methods=["GET"], name="post_zip"),
    Route("/campaigns/{slug:slug}/pack.zip", posts.campaign_pack, methods=["GET"], name="pack"),
    Route(
        "/campaigns/{slug:slug}/readiness",
        prerender.campaign_readiness,
        methods=["GET"],
        name="campaign_readiness",
    ),
    Route("/feed-tokens", feeds.create_feed_token, methods=["POST"], name="feed_token_create"),
    Route(
        "/feed-tokens/{token_id:id}",
        feeds.revoke_feed_token,
        methods=["DELETE"],
        name="feed_token_revoke",
    ),
    Route("/campaigns", assets.list_campaigns, methods=["GET"], name="campaigns"),
    Route("/campaigns", assets.create_campaign, methods=["POST"], name="campaign_create"),
    Route(
        "/libraries/{slug:slug}/profiles", branding.list_profiles, methods=["GET"], name="profiles"
    ),
    Route(
        "/libraries/{slug:slug}/profiles",
        branding.create_profile,
        methods=["POST"],
        name="profile_create",
    ),
    Route("/profiles/{profile_id:id}", branding.get_profile, methods=["GET"], name="profile"),
    Route(
        "/profiles/{profile_id:id}",
        branding.update_profile,
        methods=["PATCH"],
        name="profile_update",
    ),
    Route(
        "/profiles/{profile_id:id}",
        branding.delete_profile,
        methods=["DELETE"],
        name="profile_delete",
    ),
    Route(
        "/profiles/{profile_id:id}/logo", branding.get_logo, methods=["GET"], name="profile_logo"
    ),
    Route(
        "/profiles/{profile_id:id}/logo",
        branding.put_logo,
        methods=["PUT"],
        name="profile_logo_put",
    ),
    Route("/presets", branding.list_presets, methods=["GET"], name="presets"),
    Route("/presets", branding.create_preset, methods=["POST"], name="preset_create"),
    Route("/presets/{key}", branding.update_preset, methods=["PATCH"], name="preset_update"),
    Route("/templates", branding.list_templates, methods=["GET"], name="templates"),
    Route("/templates", branding.save_template, methods=["POST"], name="template_save"),
    Route("/me", accounts.me, methods=["GET"], name="me"),
    Route("/libraries", accounts.list_libraries, methods=["GET"], name="libraries"),
    Route("/libraries", accounts.create_library, methods=["POST"], name="library_create"),
    Route("/users", accounts.list_users, methods=["GET"], name="users"),
    Route("/users/{user_id:id}", accounts.update_user, methods=["PATCH"], name="user_update"),
    Route("/invitations", accounts.create_invitation, methods=["POST"], name="invitation_create"),
    Route("/tokens", accounts.list_tokens, methods=["GET"], name="tokens"),
    Route("/tokens", accounts.create_token, methods=["POST"], name="token_create"),
    Route("/tokens/{token_id:id}", accounts.revoke_token, methods=["DELETE"], name="token_revoke"),
    Route("/audit", accounts.list_audit, methods=["GET"], name="audit"),
    Route("/pack-jobs/{job_id}", pack_jobs.pack_job, methods=["GET"], name="pack_job"),
    Route(
        "/pack-jobs/{job_id}/download",
        pack_jobs.pack_job_download,
        methods=["GET"],
        name="pack_job_download",
    ),
    Route("/analytics/downloads", analytics.downloads, methods=["GET"], name="analytics_downloads"),
]
