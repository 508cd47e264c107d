"""Open data: daily downloads per campaign, asset, library service and size, from the roll-ups.

Files are built into a directory of their own, each written aside under a temporary name and
then renamed over the old one, so a reader never sees a half-written file. A build happens when
a file is asked for, at most every ``open_data_refresh_s`` seconds, and only when a download was
recorded since the last build. No personal data: the roll-ups hold no user, e-mail or address.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from assets_hub import __version__
from assets_hub.models import Asset, Campaign, DownloadDaily, DownloadEvent, Library, Preset
from assets_hub.services.visibility import Viewer, utcnow
from assets_hub.threads import run_blocking

LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
TITLE = "Campaign material downloads by library service, per day"
DESCRIPTION = (
    "How many times each campaign asset was downloaded by each English public library service, "
    "per day and output size. Counts only: no people, e-mail addresses or IP addresses."
)
UPDATES = "Within five minutes of a download (rebuilt from daily totals at most every minute)."
PAGE = 20_000  # roll-up rows read per query while a file is written

# (name, Frictionless type, description): the CSV's columns in this order, for good.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("date", "date", "The day of the downloads (UTC), as YYYY-MM-DD."),
    ("campaign", "string", "The campaign's short name (slug); empty for assets in no campaign."),
    ("campaign_name", "string", "The campaign's name."),
    ("asset_id", "string", "The asset's permanent identifier (a UUID)."),
    (
        "asset_title",
        "string",
        "The asset's title while it is published; empty once it is withdrawn, expired or deleted.",
    ),
    (
        "library_service",
        "string",
        "The library service's short name (slug); empty for the national campaign team.",
    ),
    ("library_service_name", "string", "The library service's name."),
    ("region", "string", "The library service's English region, from the libraries open data."),
    (
        "size",
        "string",
        "The output: a size's key (e.g. instagram-square), original, or pdf/docx for documents.",
    ),
    ("size_name", "string", "The size's name as people see it."),
    ("branded", "boolean", "true: rendered with the library's branding; false: the file as is."),
    ("downloads", "integer", "How many downloads that day."),
)
COLUMNS = tuple(name for name, _, _ in FIELDS)


def datapackage() -> dict[str, Any]:
    """The Frictionless Data Package describing the two files (licence included); paths are
    relative to it, as the files sit beside it under /open-data/."""
    schema = {
        "fields": [
            {"name": name, "type": kind, "description": text} for name, kind, text in FIELDS
        ],
        "primaryKey": ["date", "asset_id", "library_service", "size", "branded"],
    }
    return {
        "profile": "tabular-data-package",
        "name": "assets-hub-downloads",
        "title": TITLE,
        "description": DESCRIPTION + " " + UPDATES,
        "licenses": [LICENCE],
        "homepage": "/open-data",
        "resources": [
            {
                "name": "downloads",
                "path": "downloads.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "licenses": [LICENCE],
                "schema": schema,
            },
            {
                "name": "downloads-json",
                "path": "downloads.json",
                "format": "json",
                "mediatype": "application/json",
                "licenses": [LICENCE],
            },
        ],
    }


@dataclass(frozen=True)
class Built:
    """The current files and what they were built from."""

    csv: Path
    json: Path
    built_at: datetime
    last_event: int | None
    rows: int


class _Labels:
    """Names for the ids in the roll-ups, read once per build."""

    def __init__(self) -> None:
        self.campaigns: dict[int, tuple[str, str]] = {}
        self.libraries: dict[int, tuple[str, str, str]] = {}
        self.titles: dict[str, str] = {}
        self.sizes: dict[str, str] = {}

    async def load(self) -> None:
        self.campaigns = {
            i: (slug, name)
            for i, slug, name in await Campaign.all().values_list("id", "slug", "name")
        }
        self.libraries = {
            i: (slug, name, region)
            for i, slug, name, region in await Library.all().values_list(
                "id", "slug", "name", "region"
            )
        }
        # Titles only of what the public may see: a withdrawn or embargoed asset shows its id.
        self.titles = {
            str(i): title
            for i, title in await Asset.filter(Viewer().asset_filter()).values_list("id", "title")
        }
        self.sizes = {"original": "Original file", "pdf": "PDF", "docx": "Word document"}
        self.sizes |= dict(await Preset.all().values_list("key", "name"))

    def row(self, r: tuple[Any, ...]) -> list[str]:
        day, campaign_id, asset_id, library_id, preset, branded, count = r
        campaign = self.campaigns.get(campaign_id, ("", ""))
        library = self.libraries.get(
            library_id, ("", "Campaign team" if not library_id else "", "")
        )
        day_text = day.isoformat() if hasattr(day, "isoformat") else str(day)
        asset = str(asset_id)
        return [
            day_text,
            campaign[0],
            campaign[1],
            asset,
            self.titles.get(asset, ""),
            library[0],
            library[1],
            library[2],
            preset,
            self.sizes.get(preset, preset),
            "true" if branded else "false",
            str(count),
        ]


async def _rollup_pages() -> AsyncIterator[list[tuple[Any, ...]]]:
    last = 0
    while True:
        page = (
            await DownloadDaily.filter(id__gt=last)
            .order_by("id")
            .limit(PAGE)
            .values_list(
                "id", "day", "campaign_id", "asset_id", "library_id", "preset", "branded", "count"
            )
        )
        if not page:
            return
        last = page[-1][0]
        yield [tuple(r[1:]) for r in page]


def _csv_lines(rows: list[list[str]], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180: CRLF, quotes where needed
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def _json_lines(rows: list[list[str]], first: bool) -> str:
    parts = []
    for values in rows:
        record: dict[str, Any] = dict(zip(COLUMNS, values, strict=True))
        record["branded"] = record["branded"] == "true"
        record["downloads"] = int(record["downloads"])
        parts.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    text = ",\n".join(parts)
    return text if first or not text else ",\n" + text


@dataclass
class _Aside:
    """A file written under a temporary name beside its target, renamed over it when whole."""

    handle: IO[str]
    path: Path

    @classmethod
    def open(cls, directory: Path, name: str) -> _Aside:
        directory.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
        return cls(os.fdopen(fd, "w", encoding="utf-8", newline=""), Path(path))

    def swap(self, target: Path) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.path, target)

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


async def _last_event() -> int | None:
    found = await DownloadEvent.all().order_by("-id").first()
    return found.id if found else None


async def build(directory: Path) -> Built:
    """Write downloads.csv and downloads.json from the roll-ups (aside, then swapped in)."""
    last_event = await _last_event()
    built_at = utcnow().replace(microsecond=0)
    labels = _Labels()
    await labels.load()
    csv_file = await run_blocking("files", _Aside.open, directory, "downloads.csv")
    json_file = await run_blocking("files", _Aside.open, directory, "downloads.json")
    try:
        head = {
            "title": TITLE,
            "description": DESCRIPTION,
            "licence": LICENCE,
            "updated": built_at.isoformat(),
            "update_frequency": UPDATES,
            "fields": [{"name": n, "type": t, "description": d} for n, t, d in FIELDS],
            "describedBy": "datapackage.json",
            "generator": f"assets hub {__version__}",
        }
        opening = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "rows": [\n'
        await run_blocking("files", json_file.handle.write, opening)
        count = 0
        async for page in _rollup_pages():
            rows = [labels.row(r) for r in page]
            await run_blocking("files", csv_file.handle.write, _csv_lines(rows, header=count == 0))
            await run_blocking("files", json_file.handle.write, _json_lines(rows, first=count == 0))
            count += len(rows)
        if count == 0:
            await run_blocking("files", csv_file.handle.write, _csv_lines([], header=True))
        await run_blocking("files", json_file.handle.write, "\n]}\n")
        await run_blocking("files", csv_file.swap, directory / "downloads.csv")
        await run_blocking("files", json_file.swap, directory / "downloads.json")
    except BaseException:
        await run_blocking("files", csv_file.discard)
        await run_blocking("files", json_file.discard)
        raise
    return Built(
        directory / "downloads.csv", directory / "downloads.json", built_at, last_event, count
    )


class OpenData:
    """One app's open data files: rebuilt on demand when stale, one build at a time."""

    def __init__(self, directory: Path, refresh_s: int) -> None:
        self.directory = directory
        self.refresh_s = refresh_s
        self.current: Built | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def files(self) -> Built:
        """The current files, rebuilt first if a download happened since and they are old."""
        if self.current is not None and time.monotonic() - self._checked < self.refresh_s:
            return self.current
        async with self._lock:
            if self.current is None or time.monotonic() - self._checked >= self.refresh_s:
                latest = await _last_event()
                if self.current is None or latest != self.current.last_event:
                    self.current = await build(self.directory)
                self._checked = time.monotonic()
        return self.current


def built_at_header(built: Built) -> str:
    return built.built_at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
