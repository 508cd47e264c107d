"""Daily download roll-ups: the counts the dashboard, the API and the open data read."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# The roll-up keeps its keys as plain numbers, never NULL: a unique key treats NULLs as all
# different, which would defeat the one-statement upsert that counts a download.
NO_CAMPAIGN = 0
CAMPAIGN_TEAM = 0  # the library id of downloads by the campaign team (who belong to no library)


class DownloadDaily(Model):
    """Downloads per UTC day, campaign, asset, library service, size and branded or not."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    campaign_id = fields.IntField(default=NO_CAMPAIGN)  # the asset's campaign when downloaded
    asset_id = fields.UUIDField()
    library_id = fields.IntField(default=CAMPAIGN_TEAM)
    preset = fields.CharField(max_length=50)
    branded = fields.BooleanField(default=False)  # a render for the library, not the file as is
    count = fields.IntField(default=0)

    class Meta:
        table = "download_daily"
        unique_together = (("day", "campaign_id", "asset_id", "library_id", "preset", "branded"),)
        ordering = ("day", "id")
