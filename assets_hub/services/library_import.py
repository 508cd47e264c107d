"""Pre-fill library services and branch branding profiles from the public libraries open data
CSV (authority, library name, address, postcode, hours, URL, e-mail). Existing profiles are
left as they are, so the import can run again as the data is updated."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from assets_hub.errors import Unprocessable
from assets_hub.models import BrandingProfile, BrandingProfileVersion, Library
from assets_hub.services.accounts import slugify

MAX_CSV_BYTES = 20 * 1024 * 1024
# Accepted column names (lower-case, spaces and punctuation squashed) for each field.
COLUMNS = {
    "authority": ("authority", "local authority", "library service", "service"),
    "name": ("library name", "library", "name", "branch"),
    "address": ("address", "address 1", "address1", "street address"),
    "address2": ("address 2", "address2"),
    "address3": ("address 3", "address3", "town"),
    "postcode": ("postcode", "post code"),
    "hours": ("hours", "opening hours", "staffed hours"),
    "url": ("url", "website", "web address"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "phone": ("phone", "telephone", "phone number"),
    "region": ("region", "english region", "region name", "government office region"),
}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9@-]+", " ", name.lower()).split())


@dataclass
class LibraryImportReport:
    libraries_created: list[str] = field(default_factory=list)
    profiles_created: int = 0
    profiles_skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def parse_rows(data: bytes) -> list[dict[str, str]]:
    """Rows as {field: value}; Unprocessable naming the missing columns."""
    if len(data) > MAX_CSV_BYTES:
        raise Unprocessable("The CSV file is larger than 20 MiB.")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    headers = {_norm(h): h for h in reader.fieldnames or ()}
    mapping = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name in headers:
                mapping[key] = headers[name]
                break
    missing = [key for key in ("authority", "name") if key not in mapping]
    if missing:
        raise Unprocessable(
            f"The CSV needs columns for: {', '.join(missing)} (e.g. "
            "'Local authority' and 'Library name')."
        )
    day_columns = [(day, headers[day]) for day in DAYS if day in headers]
    rows = []
    for row in reader:
        out = {key: (row.get(column) or "").strip() for key, column in mapping.items()}
        if "hours" not in out and day_columns:
            out["hours"] = "; ".join(
                f"{day.title()} {row[col].strip()}" for day, col in day_columns if row.get(col)
            )
        rows.append(out)
    return rows


async def import_libraries(data: bytes) -> LibraryImportReport:
    """One library service per authority, one branding profile per branch."""
    report = LibraryImportReport()
    for line, row in enumerate(parse_rows(data), start=2):
        authority, name = row.get("authority", ""), row.get("name", "")
        if not authority or not name or len(authority) > 200 or len(name) > 100:
            report.rejected.append((line, "an authority and a library name are needed"))
            continue
        slug = slugify(authority)
        if not slug:
            report.rejected.append((line, "the authority name has no letters or digits"))
            continue
        address = ", ".join(
            v
            for v in (
                row.get("address"),
                row.get("address2"),
                row.get("address3"),
                row.get("postcode"),
            )
            if v
        )
        values = {
            "library_name": name,
            "address": address[:1000],
            "opening_hours": row.get("hours", "")[:1000],
            "email": row.get("email", "")[:254],
            "phone": row.get("phone", "")[:50],
        }
        url = row.get("url", "")
        if url.startswith(("https://", "http://")) and len(url) <= 2048:
            values["website"] = url
        values = {k: v for k, v in values.items() if v}
        async with in_transaction():
            library = await Library.get_or_none(slug=slug)
            region = row.get("region", "")[:100]
            if library is None:
                library = await Library.create(name=authority, slug=slug, region=region)
                report.libraries_created.append(slug)
            elif region and library.region != region:  # the usage figures group by it
                library.region = region
                await library.save(update_fields=["region"])
            if await BrandingProfile.exists(library=library, name=name, deleted_at=None):
                report.profiles_skipped += 1
                continue
            first = not await BrandingProfile.exists(library=library, deleted_at=None)
            profile = await BrandingProfile.create(library=library, name=name, is_default=first)
            await BrandingProfileVersion.create(
                profile=profile,
                number=1,
                primary="#1d70b8",
                font="sans",
                values=values,
                created_by="import-libraries",
            )
            report.profiles_created += 1
    return report
