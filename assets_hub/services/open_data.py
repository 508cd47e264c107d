"""Open data: daily downloads per campaign, asset, library service and size, from the roll-ups.

Files are built into a directory of their own, in parts each written aside under a temporary
name and renamed when whole, so a reader never sees a half-written file. A build happens when
a file is asked for, at most every ``open_data_refresh_s`` seconds, and only when a download was
recorded since the last build (or the day changed). No personal data: the roll-ups hold no
user, e-mail or address.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from tortoise import connections

from assets_hub import __version__
from assets_hub.models import Asset, Campaign, DownloadEvent, Library, Preset
from assets_hub.services.visibility import Viewer, utcnow
from assets_hub.threads import run_blocking

log = logging.getLogger(__name__)

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
    """The current files (each the concatenation of its parts) and what they were built from.

    Rows of past days change only when a name or title does, so their part is kept until the
    day ends or a label changes; each rebuild writes a small part for today's rows. Parts have
    names of their own: a reader streaming the previous files is never mixed with new ones.
    """

    csv: tuple[Path, ...]
    json: tuple[Path, ...]
    built_at: datetime
    last_event: int | None
    rows: int
    past_key: tuple[date, str]
    past_rows: int

    def size(self, kind: str) -> int:
        return sum(part.stat().st_size for part in getattr(self, kind))

    def paths(self) -> set[Path]:
        return {*self.csv, *self.json}


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class _Labels:
    """Names for the ids in the roll-ups, read once per build, kept as ready CSV and JSON
    fragments (a million rows are then mostly string joins)."""

    def __init__(self) -> None:
        self.campaigns: dict[int, tuple[str, str]] = {}
        self.libraries: dict[int, tuple[str, str, str]] = {}
        self.titles: dict[str, str] = {}
        self.sizes: dict[str, str] = {}
        self._fragments: dict[tuple[str, Any], tuple[str, str]] = {}

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

    def fingerprint(self) -> str:
        """Changes whenever a name, region or visible title does (then past rows are redone)."""
        state = repr(
            [sorted(d.items()) for d in (self.campaigns, self.libraries, self.titles, self.sizes)]
        )
        return hashlib.sha256(state.encode()).hexdigest()

    def _fragment(self, kind: str, key: Any) -> tuple[str, str]:
        found = self._fragments.get((kind, key))
        if found is not None:
            return found
        values: tuple[str, ...]
        if kind == "campaign":
            values = self.campaigns.get(key, ("", ""))
        elif kind == "asset":
            values = (key, self.titles.get(key, ""))
        elif kind == "library":
            values = self.libraries.get(key, ("", "Campaign team" if not key else "", ""))
        else:
            values = (key, self.sizes.get(key, key))
        names = {"campaign": COLUMNS[1:3], "asset": COLUMNS[3:5], "library": COLUMNS[5:8]}
        columns = names.get(kind, COLUMNS[8:10])
        found = (
            ",".join(_csv_field(v) for v in values),
            ",".join(f'"{c}":{_json(v)}' for c, v in zip(columns, values, strict=True)),
        )
        self._fragments[(kind, key)] = found
        return found

    def lines(self, r: Any) -> tuple[str, str]:
        """One roll-up row as a CSV line and a JSON object."""
        day, campaign_id, asset_id, library_id, preset, branded, count = r
        day = day.isoformat() if hasattr(day, "isoformat") else str(day)
        parts = (
            self._fragment("campaign", campaign_id),
            self._fragment("asset", str(asset_id)),
            self._fragment("library", library_id),
            self._fragment("size", preset),
        )
        flag = "true" if branded else "false"
        csv_line = f"{day},{','.join(p[0] for p in parts)},{flag},{count}\r\n"
        fields = ",".join(p[1] for p in parts)
        json_line = f'{{"date":"{day}",{fields},"branded":{flag},"downloads":{count}}}'
        return csv_line, json_line


async def _rollup_pages(today: date, past: bool) -> AsyncIterator[list[Any]]:
    """Roll-up rows of the days before ``today`` (past) or from today on, in id order."""
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    marks = ("$1", "$2", "$3") if postgres else ("?", "?", "?")
    sql = (
        "SELECT id, day, campaign_id, asset_id, library_id, preset, branded, count "  # noqa: S608
        f"FROM download_daily WHERE id > {marks[0]} AND day {'<' if past else '>='} {marks[1]} "
        f"ORDER BY id LIMIT {marks[2]}"
    )
    last = 0
    while True:
        _, page = await client.execute_query(
            sql, [last, today if postgres else today.isoformat(), PAGE]
        )
        if not page:
            return
        last = page[-1][0]
        yield [tuple(r)[1:] for r in page]


@dataclass
class _Aside:
    """A part written under a temporary name, renamed to its own name when whole."""

    handle: IO[str]
    path: Path

    @classmethod
    def open(cls, directory: Path, name: str) -> _Aside:
        directory.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
        return cls(os.fdopen(fd, "w", encoding="utf-8", newline=""), Path(path))

    def finish(self) -> Path:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        target = self.path.with_name(self.path.name.removeprefix(".").removesuffix(".part"))
        os.replace(self.path, target)
        self.path = target  # a build failing later removes it too
        return target

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


async def _last_event() -> int | None:
    found = await DownloadEvent.all().order_by("-id").first()
    return found.id if found else None


async def _write_rows(
    labels: _Labels, today: date, past: bool, csv_part: _Aside, json_part: _Aside, joined: bool
) -> int:
    """Rows into the two parts; ``joined``: JSON rows already precede these (comma first)."""
    count = 0
    async for page in _rollup_pages(today, past):
        lines = [labels.lines(r) for r in page]
        csv_text = "".join(c for c, _ in lines)
        json_text = ",\n".join(j for _, j in lines)
        if joined or count:
            json_text = ",\n" + json_text
        await run_blocking("files", csv_part.handle.write, csv_text)
        await run_blocking("files", json_part.handle.write, json_text)
        count += len(lines)
    return count


async def build(directory: Path, previous: Built | None = None) -> Built:
    """Write downloads.csv and downloads.json from the roll-ups, as parts written aside; the
    past days' parts of ``previous`` are reused while the day and every label are the same."""
    last_event = await _last_event()
    built_at = utcnow().replace(microsecond=0)
    today = built_at.date()
    labels = _Labels()
    await labels.load()
    past_key = (today, labels.fingerprint())
    asides: list[_Aside] = []

    async def aside(name: str) -> _Aside:
        part = await run_blocking("files", _Aside.open, directory, name)
        asides.append(part)
        return part

    try:
        if previous is not None and previous.past_key == past_key:
            past_csv, past_json, past_rows = previous.csv[0], previous.json[1], previous.past_rows
        else:
            csv_part, json_part = await aside("past.csv"), await aside("past.json")
            await run_blocking("files", csv_part.handle.write, ",".join(COLUMNS) + "\r\n")
            past_rows = await _write_rows(labels, today, True, csv_part, json_part, False)
            past_csv = await run_blocking("files", csv_part.finish)
            past_json = await run_blocking("files", json_part.finish)
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
        head_part = await aside("head.json")
        opening = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "rows": [\n'
        await run_blocking("files", head_part.handle.write, opening)
        csv_part, json_part = await aside("today.csv"), await aside("today.json")
        rows = await _write_rows(labels, today, False, csv_part, json_part, past_rows > 0)
        await run_blocking("files", json_part.handle.write, "\n]}\n")
        head_json = await run_blocking("files", head_part.finish)
        today_csv = await run_blocking("files", csv_part.finish)
        today_json = await run_blocking("files", json_part.finish)
    except BaseException:
        for part in asides:
            await run_blocking("files", part.discard)
        raise
    return Built(
        (past_csv, today_csv),
        (head_json, past_json, today_json),
        built_at,
        last_event,
        past_rows + rows,
        past_key,
        past_rows,
    )


async def stream(parts: tuple[Path, ...]) -> AsyncIterator[bytes]:
    """The parts one after the other; all opened first, so a rebuild meanwhile changes nothing."""
    handles = [await run_blocking("files", part.open, "rb") for part in parts]
    try:
        for handle in handles:
            while chunk := await run_blocking("files", handle.read, 256 * 1024):
                yield chunk
    finally:
        for handle in handles:
            handle.close()


# How long a request waits for a rebuild before it is answered with the previous files: today's
# rows take well under this; a first build of the day at a million events takes seconds and
# finishes in the background (the next request gets it).
REBUILD_WAIT_S = 0.25


class OpenData:
    """One app's open data files: rebuilt when stale, one build at a time; a request waits at
    most :data:`REBUILD_WAIT_S` for a rebuild, else it gets the previous files."""

    def __init__(self, directory: Path, refresh_s: int) -> None:
        self.directory = directory
        self.refresh_s = refresh_s
        self.current: Built | None = None
        self._previous: Built | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self._rebuild: asyncio.Task[None] | None = None

    async def files(self) -> Built:
        """The current files, rebuilt first if a download happened since and they are old."""
        fresh = time.monotonic() - self._checked < self.refresh_s
        if self.current is not None and fresh:
            return self.current
        if self.current is None:  # nothing to answer with yet: the first build is waited for
            await self._refresh()
        else:
            if self._rebuild is None or self._rebuild.done():
                self._rebuild = asyncio.create_task(self._refresh(), name="open-data-rebuild")
                self._rebuild.add_done_callback(_log_failure)
            await asyncio.wait({self._rebuild}, timeout=REBUILD_WAIT_S)
        if self.current is None:  # unreachable: a failed first build raised above
            raise RuntimeError("open data files were not built")
        return self.current

    async def _refresh(self) -> None:
        async with self._lock:
            if self.current is None or time.monotonic() - self._checked >= self.refresh_s:
                latest = await _last_event()
                stale = self.current is not None and self.current.past_key[0] != utcnow().date()
                if self.current is None or latest != self.current.last_event or stale:
                    built = await build(self.directory, self.current)
                    self._previous, self.current = self.current, built
                    await run_blocking("files", self._tidy)
                self._checked = time.monotonic()

    def _tidy(self) -> None:
        """Remove parts neither the current nor the previous files use (readers of older ones
        opened theirs already)."""
        keep = set()
        for built in (self.current, self._previous):
            if built is not None:
                keep |= built.paths()
        for path in self.directory.iterdir():
            if path not in keep and not path.name.endswith(".part"):
                path.unlink(missing_ok=True)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("open data rebuild failed; the previous files stay", exc_info=task.exception())
