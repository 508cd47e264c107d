"""HTML pages (name "web")."""

from __future__ import annotations

from starlette.routing import Route

import assets_hub.ids  # noqa: F401  (registers the {name:id} path convertor)
from assets_hub.web import (
    account_pages,
    analytics_pages,
    campaign_pages,
    content_pages,
    customise_pages,
    editor_pages,
    home_pages,
    library_pages,
    pack_pages,
    pages,
    preset_pages,
    self_service_pages,
    static_pages,
    template_pages,
)

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
    # The campaign team's pages (editor_pages): upload, edit, review queue, audit log.
    Route("/editor/upload", editor_pages.upload, methods=["GET", "POST"], name="upload"),
    Route(
        "/editor/upload/alt-text",
        editor_pages.upload_alt_texts,
        methods=["POST"],
        name="upload_alt_texts",
    ),
    Route("/editor/review", editor_pages.review_page, methods=["GET"], name="review"),
    # Content without a file (content_pages): case studies and ready-made social posts.
    Route(
        "/editor/case-studies/new",
        content_pages.new_case_study,
        methods=["GET", "POST"],
        name="case_study_new",
    ),
    Route(
        "/editor/case-studies/{asset_id}",
        content_pages.edit_case_study,
        methods=["GET", "POST"],
        name="case_study_edit",
    ),
    Route("/editor/posts/new", content_pages.new_post, methods=["GET", "POST"], name="post_new"),
    Route(
        "/editor/posts/{asset_id}",
        content_pages.edit_post,
        methods=["GET", "POST"],
        name="post_edit",
    ),
    Route("/editor/audit", editor_pages.audit_log, methods=["GET"], name="editor_audit"),
    Route(
        "/editor/assets/{asset_id}",
        editor_pages.edit_asset,
        methods=["GET", "POST"],
        name="editor_asset",
    ),
    Route(
        "/editor/assets/{asset_id}/focal-point",
        editor_pages.set_focal_point,
        methods=["POST"],
        name="editor_focal_point",
    ),
    Route(
        "/editor/assets/{asset_id}/brand-zone",
        editor_pages.set_brand_zone,
        methods=["POST"],
        name="editor_brand_zone",
    ),
    Route(
        "/editor/assets/{asset_id}/template",
        editor_pages.choose_template,
        methods=["POST"],
        name="editor_template",
    ),
    *(
        Route(
            f"/editor/assets/{{asset_id}}/{action}",
            editor_pages.change_status,
            methods=["POST"],
            name=f"editor_{action}",
        )
        for action in editor_pages.ACTIONS
    ),
    Route(
        "/editor/assets/{asset_id}/delete",
        editor_pages.delete_asset,
        methods=["POST"],
        name="editor_delete",
    ),
    Route(
        "/editor/assets/{asset_id}/undelete",
        editor_pages.undelete_asset,
        methods=["POST"],
        name="editor_undelete",
    ),
    Route(
        "/editor/assets/{asset_id}/versions",
        editor_pages.add_version,
        methods=["POST"],
        name="editor_version_add",
    ),
    Route(
        "/editor/assets/{asset_id}/versions/{number:id}/restore",
        editor_pages.restore_version,
        methods=["POST"],
        name="editor_version_restore",
    ),
    Route(
        "/editor/assets/{asset_id}/consents",
        editor_pages.add_consent,
        methods=["POST"],
        name="editor_consent_add",
    ),
    Route(
        "/editor/assets/{asset_id}/consents/{consent_id:id}/withdraw",
        editor_pages.withdraw_consent,
        methods=["POST"],
        name="editor_consent_withdraw",
    ),
    # Overlay templates (the campaign team) and output sizes (admins).
    Route("/editor/templates", template_pages.template_list, methods=["GET"], name="templates"),
    Route(
        "/editor/templates/new",
        template_pages.new_template,
        methods=["GET", "POST"],
        name="template_new",
    ),
    Route(
        "/editor/templates/{key}",
        template_pages.edit_template,
        methods=["GET", "POST"],
        name="template_edit",
    ),
    Route(
        "/editor/template-preview",
        template_pages.template_preview,
        methods=["GET"],
        name="template_preview",
    ),
    Route("/admin/presets", preset_pages.preset_list, methods=["GET"], name="presets"),
    Route(
        "/admin/presets/new",
        preset_pages.new_preset,
        methods=["GET", "POST"],
        name="preset_new",
    ),
    Route(
        "/admin/presets/{key}",
        preset_pages.edit_preset,
        methods=["GET", "POST"],
        name="preset_edit",
    ),
    # Customise and download; My library (profiles, staff, downloads, takedown notices).
    Route(
        "/assets/{asset_id}/customise",
        customise_pages.customise_page,
        methods=["GET"],
        name="customise",
    ),
    Route("/library", library_pages.my_library, methods=["GET"], name="my_library"),
    Route(
        "/library/downloads",
        library_pages.downloads_page,
        methods=["GET"],
        name="library_downloads",
    ),
    Route("/library/staff", library_pages.staff_page, methods=["GET"], name="library_staff"),
    Route("/library/staff", library_pages.invite_staff, methods=["POST"], name="library_invite"),
    Route(
        "/library/notices/{notice_id:id}/done",
        library_pages.notice_done,
        methods=["POST"],
        name="library_notice_done",
    ),
    Route(
        "/library/profiles/new",
        library_pages.new_profile_page,
        methods=["GET"],
        name="library_profile_new",
    ),
    Route(
        "/library/profiles",
        library_pages.create_profile,
        methods=["POST"],
        name="library_profile_create",
    ),
    Route(
        "/library/profiles/{profile_id:id}",
        library_pages.profile_page,
        methods=["GET"],
        name="library_profile",
    ),
    Route(
        "/library/profiles/{profile_id:id}",
        library_pages.save_profile,
        methods=["POST"],
        name="library_profile_save",
    ),
    Route(
        "/library/profiles/{profile_id:id}/logo",
        library_pages.upload_logo,
        methods=["POST"],
        name="library_profile_logo",
    ),
    Route(
        "/library/profiles/{profile_id:id}/preview",
        library_pages.profile_preview,
        methods=["GET"],
        name="library_profile_preview",
    ),
    # Campaigns, social post grab pages and the home page (campaign_pages, home_pages).
    Route("/home", home_pages.home_page, methods=["GET"], name="home"),
    Route("/campaigns", campaign_pages.campaigns_list, methods=["GET"], name="campaigns"),
    Route("/campaigns/{slug:slug}", campaign_pages.campaign_page, methods=["GET"], name="campaign"),
    Route(
        "/campaigns/{slug:slug}/pack",
        campaign_pages.campaign_pack,
        methods=["GET"],
        name="campaign_pack",
    ),
    Route("/posts/{asset_id}", campaign_pages.post_page, methods=["GET"], name="post_grab"),
    Route("/packs/{job_id}", pack_pages.pack_status, methods=["GET"], name="pack_status"),
    # Usage figures and open data (analytics_pages).
    Route("/editor/analytics", analytics_pages.dashboard, methods=["GET"], name="analytics"),
    Route(
        "/editor/analytics/{table}.csv",
        analytics_pages.dashboard_csv,
        methods=["GET"],
        name="analytics_csv",
    ),
    Route(
        "/library/analytics",
        analytics_pages.library_figures,
        methods=["GET"],
        name="library_analytics",
    ),
    Route("/open-data", analytics_pages.open_data_page, methods=["GET"], name="open_data"),
    Route(
        "/open-data/downloads.csv",
        analytics_pages.downloads_csv,
        methods=["GET"],
        name="open_data_csv",
    ),
    Route(
        "/open-data/downloads.json",
        analytics_pages.downloads_json,
        methods=["GET"],
        name="open_data_json",
    ),
    Route(
        "/open-data/datapackage.json",
        analytics_pages.datapackage,
        methods=["GET"],
        name="open_data_package",
    ),
    # Self-service (self_service_pages): API tokens, feed tokens, search synonyms.
    Route(
        "/account/tokens",
        self_service_pages.api_tokens,
        methods=["GET", "POST"],
        name="account_tokens",
    ),
    Route(
        "/account/tokens/{token_id:id}/revoke",
        self_service_pages.revoke_api_token,
        methods=["POST"],
        name="account_token_revoke",
    ),
    Route("/library/feeds", self_service_pages.feed_tokens, methods=["GET", "POST"], name="feeds"),
    Route(
        "/library/feeds/{token_id:id}/revoke",
        self_service_pages.revoke_feed_token,
        methods=["POST"],
        name="feed_revoke",
    ),
    Route(
        "/editor/synonyms",
        self_service_pages.synonyms,
        methods=["GET", "POST"],
        name="synonyms",
    ),
]
