"""Tortoise models, one module per aggregate, re-exported here (the "models" app)."""
# Model docstrings become SQL table comments: Tortoise splits statements on ";", so none in them.

from assets_hub.models.accounts import ApiToken, AuditEvent, LinkPurpose, OneTimeLink, Session
from assets_hub.models.analytics import DownloadDaily, DownloadTotal
from assets_hub.models.assets import (
    Asset,
    AssetVersion,
    Campaign,
    Channel,
    Consent,
    DownloadEvent,
    Kind,
    Status,
    Tag,
    TakedownNotice,
)
from assets_hub.models.branding import (
    AssetTemplate,
    BrandingProfile,
    BrandingProfileVersion,
    OverlayTemplate,
    OverlayTemplateVersion,
    Preset,
    Rendition,
)
from assets_hub.models.content import CaseStudy, FeedToken, SocialPost
from assets_hub.models.leases import Lease
from assets_hub.models.libraries import Library, Role, User
from assets_hub.models.outbox import SearchOutbox
from assets_hub.models.packs import PackJob, PackStatus
from assets_hub.models.search import Synonym

__all__ = [
    "ApiToken",
    "Asset",
    "AssetTemplate",
    "AssetVersion",
    "AuditEvent",
    "BrandingProfile",
    "BrandingProfileVersion",
    "Campaign",
    "CaseStudy",
    "Channel",
    "Consent",
    "DownloadDaily",
    "DownloadEvent",
    "DownloadTotal",
    "FeedToken",
    "Kind",
    "Lease",
    "Library",
    "LinkPurpose",
    "OneTimeLink",
    "OverlayTemplate",
    "OverlayTemplateVersion",
    "PackJob",
    "PackStatus",
    "Preset",
    "Rendition",
    "Role",
    "SearchOutbox",
    "Session",
    "SocialPost",
    "Status",
    "Synonym",
    "Tag",
    "TakedownNotice",
    "User",
]
