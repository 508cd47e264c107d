from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_INDEXES = {
    "idx_download_daily_campaign_day": ("download_daily", "campaign_id", "day"),
    "idx_download_daily_library_day": ("download_daily", "library_id", "day"),
    # Covering the dashboard's sums, with and without a campaign (no table reads).
    "idx_download_total_campaign": (
        "download_total",
        *("dimension", "campaign_id", "day", "item", "branded", "count"),
    ),
    "idx_download_total_all": ("download_total", "dimension", "day", "item", "branded", "count"),
}
# The dashboard's totals along each dimension, summed from the daily roll-ups.
_TOTALS = {
    "campaign": "''",
    "asset": "CAST(asset_id AS VARCHAR(50))",
    "preset": "preset",
    "library": "CAST(library_id AS VARCHAR(50))",
}


def _day(at: Any) -> date:
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


async def _backfill(apps: Any, schema_editor: Any) -> None:
    """The roll-ups of the download events recorded before there were roll-ups (once)."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    _, existing = await client.execute_query("SELECT COUNT(*) AS n FROM download_daily")
    if existing and existing[0]["n"]:
        return
    _, rows = await client.execute_query(
        "SELECT e.at, a.campaign_id, e.asset_id, e.library_id, e.preset, e.branded "
        "FROM download_event e JOIN asset a ON a.id = e.asset_id"
    )
    counts: Counter[tuple[Any, ...]] = Counter(
        (
            _day(r["at"]),
            r["campaign_id"] or 0,
            str(r["asset_id"]),
            r["library_id"] or 0,
            r["preset"],
            bool(r["branded"]),
        )
        for r in rows
    )
    marks = ", ".join(f"${i}" for i in range(1, 8)) if postgres else ", ".join("?" * 7)
    columns = "day, campaign_id, asset_id, library_id, preset, branded, count"
    sql = f"INSERT INTO download_daily ({columns}) VALUES ({marks})"  # noqa: S608
    values = [  # oldest day first: the open data lists rows in id order
        [day if postgres else day.isoformat(), campaign, asset, library, preset, branded, n]
        for (day, campaign, asset, library, preset, branded), n in sorted(counts.items())
    ]
    if values:
        await client.execute_many(sql, values)
    monday = (
        "CAST(date_trunc('week', day) AS DATE)"
        if postgres
        else "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"
    )
    for dimension, item in _TOTALS.items():
        for suffix, day in (("", "day"), ("/w", monday)):
            await client.execute_query(
                "INSERT INTO download_total (dimension, day, campaign_id, item, branded, count) "  # noqa: S608
                f"SELECT '{dimension}{suffix}', {day}, campaign_id, {item}, branded, SUM(count) "
                f"FROM download_daily GROUP BY {day}, campaign_id, branded"
                + ("" if dimension == "campaign" else f", {item}")
            )


class Migration(migrations.Migration):
    dependencies = [("models", "0010_leases")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DownloadDaily",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("day", fields.DateField()),
                ("campaign_id", fields.IntField(default=0)),
                ("asset_id", fields.UUIDField()),
                ("library_id", fields.IntField(default=0)),
                ("preset", fields.CharField(max_length=50)),
                ("branded", fields.BooleanField(default=False)),
                ("count", fields.IntField(default=0)),
            ],
            options={
                "table": "download_daily",
                "app": "models",
                "unique_together": (
                    ("day", "campaign_id", "asset_id", "library_id", "preset", "branded"),
                ),
                "pk_attr": "id",
                "table_description": "Downloads per UTC day, campaign, asset, library service, size and branded or not.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DownloadTotal",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("dimension", fields.CharField(max_length=10)),
                ("day", fields.DateField()),
                ("campaign_id", fields.IntField(default=0)),
                ("item", fields.CharField(default="", max_length=50)),
                ("branded", fields.BooleanField(default=False)),
                ("count", fields.IntField(default=0)),
            ],
            options={
                "table": "download_total",
                "app": "models",
                "unique_together": (("dimension", "day", "campaign_id", "item", "branded"),),
                "pk_attr": "id",
                "table_description": "The dashboard's totals per UTC day and campaign along one dimension at a time.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Library",
            name="analytics_seen_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Library",
            name="region",
            field=fields.CharField(default="", max_length=100),
        ),
        ops.RunSQL(
            [
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ('
                + ", ".join(f'"{c}"' for c in columns)
                + ")"
                for name, (table, *columns) in _INDEXES.items()
            ],
            reverse_sql=[f'DROP INDEX IF EXISTS "{name}"' for name in _INDEXES],
        ),
        ops.RunPython(_backfill),
    ]
