"""Takedown notices by e-mail to the library's admins, besides the notice in the pages.

Notices are written in the transaction that withdraws or expires an asset; mail is sent
afterwards by a background pass (:func:`mail_pending_notices`, every minute), never inside
that transaction: a slow or refusing mail server delays a mail, never a withdrawal. A notice
whose mail could not go is tried again on the next pass (``mailed_at`` stays empty).
"""

from __future__ import annotations

import logging

from assets_hub.errors import ServiceUnavailable
from assets_hub.models import Role, TakedownNotice, User
from assets_hub.services.mail import send_mail
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings

log = logging.getLogger(__name__)
BATCH = 50  # notices per pass: a mass withdrawal is mailed over a few minutes


def notice_mail(
    notice: TakedownNotice, library_name: str, asset_title: str, base_url: str
) -> tuple[str, str]:
    """The subject and plain-text body of one notice's mail (files named as downloaded)."""
    subject = f"Stop using “{asset_title}”: takedown notice for {library_name}"
    lines = [
        f"{library_name} downloaded “{asset_title}” from assets hub; it must no longer be used:",
        f"{notice.reason}.",
        "",
        "Please remove it from your website, social media, displays and shared drives.",
        "The files your library took, named as they were saved:",
        *(f"  - {name}" for name in notice.files),
        "",
        f"When it is done, mark the notice done in My library: {base_url.rstrip('/')}/library",
    ]
    return subject, "\n".join(lines) + "\n"


async def mail_pending_notices(settings: Settings) -> int:
    """Mail every not-yet-mailed notice to its library's active admins; how many went."""
    sent = 0
    pending = (
        await TakedownNotice.filter(mailed_at__isnull=True)
        .select_related("asset", "library")
        .order_by("id")
        .limit(BATCH)
    )
    for notice in pending:
        admins = await User.filter(
            library_id=notice.library.id, role=Role.LIBRARY_ADMIN, is_active=True
        ).values_list("email", flat=True)
        subject, body = notice_mail(
            notice, notice.library.name, notice.asset.title, settings.base_url
        )
        try:
            for email in admins:
                await send_mail(settings, str(email), subject, body)
        except ServiceUnavailable:
            log.warning("takedown notice %s not mailed yet; will try again", notice.id)
            break  # the server is down for the rest of the batch too
        notice.mailed_at = utcnow()
        await notice.save(update_fields=["mailed_at"])
        sent += 1
    return sent
