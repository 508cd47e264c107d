"""Daily download roll-ups: the counts the dashboard, the API and the open data read.

``DownloadDaily`` is the open data's grain (day, campaign, asset, library, size, branded); at a
million downloads a year it holds nearly as many rows as there are downloads, so the dashboard
reads ``DownloadTotal``, the same counts summed along one dimension at a time (tens of
thousands of rows a year). Both are counted in the download's own transaction.
"""

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


class DownloadTotal(Model):
    """The dashboard's totals per UTC day and campaign along one dimension at a time."""

    id = fields.BigIntField(primary_key=True)
    # campaign (item empty), asset (its id), preset (its key) or library (its id, 0 the team)
    dimension = fields.CharField(max_length=10)
    day = fields.DateField()
    campaign_id = fields.IntField(default=NO_CAMPAIGN)
    item = fields.CharField(max_length=50, default="")
    branded = fields.BooleanField(default=False)
    count = fields.IntField(default=0)

    class Meta:
        table = "download_total"
        unique_together = (("dimension", "day", "campaign_id", "item", "branded"),)
        ordering = ("day", "id")
