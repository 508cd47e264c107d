"""The rules an asset must meet before libraries may use it."""

from __future__ import annotations

from assets_hub.errors import Unprocessable
from assets_hub.models import Asset, Kind, SocialPost
from assets_hub.services.metadata import licence_needs_credit
from assets_hub.services.visibility import utcnow

_NEEDS_ALT_TEXT = {Kind.IMAGE, Kind.SOCIAL_POST, Kind.LOGO}


def publish_problems(asset: Asset) -> list[str]:
    """What stops the asset from being published (empty when it may be)."""
    problems = []
    now = utcnow()
    if asset.kind in _NEEDS_ALT_TEXT and not asset.alt_text.strip():
        problems.append("alt text is needed for images")
    if not asset.licence:
        problems.append("a licence is needed")
    elif licence_needs_credit(asset.licence) and not asset.credit.strip():
        problems.append("this licence needs a credit line")
    if asset.licence == "rights-managed" and not asset.licence_terms.strip():
        problems.append("rights-managed assets need their licence terms")
    if asset.licence_expires_at is not None and asset.licence_expires_at <= now:
        problems.append("the licence has expired")
    if asset.consent_expires_at is not None and asset.consent_expires_at <= now:
        problems.append("a consent has expired or been withdrawn")
    if asset.expires_at is not None and asset.expires_at <= now:
        problems.append("the asset's expiry date has passed")
    return problems


async def check_publishable(asset: Asset) -> None:
    """Unprocessable (422) listing every unmet rule."""
    problems = publish_problems(asset)
    if asset.kind is Kind.SOCIAL_POST:
        from assets_hub.services.posts import post_publish_problems  # late: posts import rules

        if await SocialPost.exists(asset=asset):
            # A composed post carries alt text per image instead of one for the asset.
            problems = [p for p in problems if not p.startswith("alt text")]
            problems += await post_publish_problems(asset)
    refuse_unpublishable(problems)


def refuse_unpublishable(problems: list[str]) -> None:
    """Unprocessable (422) listing ``problems``, if there are any."""
    if problems:
        raise Unprocessable("The asset cannot be published yet: " + "; ".join(problems) + ".")
