"""Bulk import of a folder of files, with optional metadata from a CSV. Resumable: files whose
bytes are already stored as an asset are skipped, so an interrupted import can simply rerun."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assets_hub.backends import Backends
from assets_hub.errors import AppError, Unprocessable
from assets_hub.models import AssetVersion, User
from assets_hub.services.ingest import upload_asset
from assets_hub.services.metadata import EDITABLE, parse_metadata
from assets_hub.threads import run_blocking
from assets_hub.uploads import open_local_file

MAX_CSV_BYTES = 10 * 1024 * 1024


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    metadata: list[str] = field(default_factory=list)  # metadata CSVs in the folder, not assets


def read_metadata_csv(path: Path) -> dict[str, dict[str, str]]:
    """filename -> fields. Columns: filename plus any of the asset fields (and status)."""
    if path.stat().st_size > MAX_CSV_BYTES:
        raise Unprocessable(f"{path.name}: the metadata file is larger than 10 MiB")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if "filename" not in columns:
            raise Unprocessable(f"{path.name}: needs a 'filename' column")
        unknown = columns - set(EDITABLE) - {"filename", "status"}
        if unknown:
            raise Unprocessable(f"{path.name}: unknown columns {', '.join(sorted(unknown))}")
        return {
            row["filename"]: {k: v for k, v in row.items() if k != "filename" and v}
            for row in reader
        }


def _is_metadata_csv(path: Path) -> bool:
    """A CSV whose header names a ``filename`` column: the import's own metadata format."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return "filename" in (column.strip() for column in header)


def files_in(folder: Path) -> list[Path]:
    """Regular files under ``folder`` (hidden ones and symlinks skipped), in a stable order."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


async def import_folder(
    backends: Backends,
    folder: Path,
    *,
    metadata: dict[str, dict[str, str]] | None = None,
    metadata_path: Path | None = None,
    uploader: User | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every file; one bad file is reported and never stops the rest.

    The metadata CSV (``metadata_path``, or any CSV with a ``filename`` column) may sit in
    the folder beside the files it describes: it is reported as metadata, not imported.
    """
    report = ImportReport()
    metadata = metadata or {}
    described = metadata_path.resolve() if metadata_path is not None else None
    for path in files_in(folder):
        name = str(path.relative_to(folder))
        if path.resolve() == described or _is_metadata_csv(path):
            report.metadata.append(name)
            if progress is not None:
                progress(name)
            continue
        upload = await run_blocking("files", open_local_file, str(path))
        try:
            if await AssetVersion.exists(sha256=upload.sha256, asset__deleted_at__isnull=True):
                report.skipped.append(name)
                continue
            fields = metadata.get(name, metadata.get(path.name, {}))
            title = path.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
            meta = parse_metadata(fields, default_title=title)
            await upload_asset(backends, upload, meta, uploader=uploader)
            report.imported.append(name)
        except AppError as exc:
            report.rejected.append((name, exc.message))
        finally:
            upload.close()
            if progress is not None:
                progress(name)
    return report
