"""`assets-hub verify`: compare storage, database and search index, report drift, mend it.

Three directions are checked:

* database → storage: every version's original (with its recorded size) and derived files,
  every logo, consent form and rendition the database names is in storage;
* storage → database: every stored object is referenced by a row, or younger than the orphan
  grace period (it may belong to an upload in progress);
* database ↔ index: the index holds every live asset at its current revision and nothing else.

With ``repair``: missing derived files are made again from the original, rendition rows whose
object is gone are dropped (the next request renders again), orphans and unfinished writes are
removed as gc would, and index drift is queued and indexed. A missing original, logo or consent
form cannot be made again; it is reported as needing a person.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from tortoise.models import Model

from assets_hub.backends import Backends
from assets_hub.errors import AppError
from assets_hub.models import Asset, AssetVersion, BrandingProfileVersion, Consent, Rendition
from assets_hub.services import gc
from assets_hub.services.search_admin import reconcile
from assets_hub.services.visibility import utcnow
from assets_hub.threads import run_blocking
from assets_hub.uploads import open_local_file

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)
_DERIVED_COLUMNS = ("thumbnail_key", "preview_key", "master_key", "stripped_key")


@dataclass
class Finding:
    """One difference: what kind, about which key or asset, and whether it was mended."""

    kind: str
    subject: str
    detail: str = ""
    repaired: bool = False
    queued: bool = False  # an index repair left to the running service's search writer


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    checked_objects: int = 0

    @property
    def unrepaired(self) -> list[Finding]:
        return [f for f in self.findings if not (f.repaired or f.queued)]


async def verify(
    backends: Backends, *, repair: bool = False, grace: timedelta | None = None
) -> VerifyReport:
    """Every difference between storage, database and index; mended where possible if asked."""
    grace = grace if grace is not None else timedelta(minutes=backends.settings.orphan_grace_min)
    report = VerifyReport()
    await _database_to_storage(backends, report, repair)
    await _storage_to_database(backends, report, repair, grace)
    await _database_to_index(backends, report, repair)
    for finding in report.findings:
        log.warning(
            "verify %s %s %s%s",
            finding.kind,
            finding.subject,
            finding.detail,
            " (repaired)" if finding.repaired else "",
        )
    return report


async def _database_to_storage(backends: Backends, report: VerifyReport, repair: bool) -> None:
    storage = backends.storage
    async for version in _each(AssetVersion):
        report.checked_objects += 1
        original = await storage.head(version.storage_key)
        if original is None or original.size != version.size:
            detail = "missing" if original is None else f"{original.size} bytes, not {version.size}"
            report.findings.append(
                Finding("original", version.storage_key, f"{detail} (asset {version.asset_id})")
            )
            continue
        missing = [
            column
            for column in _DERIVED_COLUMNS
            if (key := getattr(version, column)) and await storage.head(key) is None
        ]
        if missing:
            finding = Finding(
                "derived file",
                version.storage_key,
                f"missing {', '.join(missing)} (asset {version.asset_id})",
            )
            report.findings.append(finding)
            if repair:
                finding.repaired = await _remake_derived(backends, version, missing)
    for model, column, kind in (
        (BrandingProfileVersion, "logo_key", "logo"),
        (Consent, "form_key", "consent form"),
    ):
        async for row in _each(model):
            key = getattr(row, column)
            if key and await storage.head(key) is None:
                report.findings.append(Finding(kind, key, "missing"))
    async for rendition in _each(Rendition):
        if await storage.head(rendition.storage_key) is None:
            finding = Finding("rendition", rendition.storage_key, "missing")
            report.findings.append(finding)
            if repair:
                await Rendition.filter(key=rendition.key).delete()  # rendered again on demand
                finding.repaired = True


async def _remake_derived(backends: Backends, version: AssetVersion, missing: list[str]) -> bool:
    """Store the derived files again from the original (keys are content-addressed)."""
    from assets_hub.services.ingest import store_file  # late: ingest imports much

    os.makedirs(backends.settings.tmp_dir, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=backends.settings.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in backends.storage.read(version.storage_key):
                await run_blocking("files", out.write, chunk)
        upload = await run_blocking("files", open_local_file, path, version.filename)
        try:
            stored = await store_file(backends, upload)
        finally:
            upload.close()
    except AppError as exc:
        log.warning("verify could not remake %s: %s", version.storage_key, exc.message)
        return False
    finally:
        os.unlink(path)
    changes = {c: stored.fields[c] for c in missing if stored.fields[c] != getattr(version, c)}
    if changes:
        await AssetVersion.filter(id=version.id).update(**changes)
    return True


async def _storage_to_database(
    backends: Backends, report: VerifyReport, repair: bool, grace: timedelta
) -> None:
    now = utcnow()
    if repair:
        swept = await backends.storage.sweep_incomplete(now - grace)
        if swept:
            report.findings.append(
                Finding("unfinished write", "-", f"{swept} removed", repaired=True)
            )
    keep = await gc.referenced_snapshot()
    for prefix in gc.PREFIXES:
        async for key in backends.storage.list_keys(prefix):
            if key in keep:
                continue
            stored = await backends.storage.head(key)
            modified = stored.modified_at if stored else None
            if modified is not None and now - modified < grace:
                continue  # may belong to an upload in progress
            if await gc.is_referenced(key):
                continue
            finding = Finding("orphan object", key, "no row refers to it")
            report.findings.append(finding)
            if repair:
                await backends.storage.delete(key)
                finding.repaired = True


async def _database_to_index(backends: Backends, report: VerifyReport, repair: bool) -> None:
    database = {
        str(asset_id): revision
        for asset_id, revision in await Asset.filter(deleted_at=None).values_list("id", "revision")
    }
    indexed = await backends.search.document_versions()
    drift = [Finding("not in index", i) for i in database if i not in indexed]
    drift += [
        Finding("stale in index", i, f"revision {indexed[i]}, not {database[i]}")
        for i in database
        if i in indexed and indexed[i] != database[i]
    ]
    drift += [Finding("extra in index", i) for i in indexed if i not in database]
    report.findings.extend(drift)
    if repair and drift:
        await reconcile(backends, full=True)
        if not backends.indexer.writer:  # beside a running service: its writer applies them
            for finding in drift:
                finding.queued = True
            return
        while await backends.indexer.process_due():
            pass
        now_indexed = await backends.search.document_versions()
        for finding in drift:
            expected = database.get(finding.subject)
            finding.repaired = now_indexed.get(finding.subject) == expected


async def _each(model: type[M]) -> AsyncIterator[M]:
    """Every row of ``model``, read in batches by primary key (bounded memory)."""
    pk = model._meta.pk_attr
    last: Any = None
    while True:
        query = model.all() if last is None else model.filter(**{f"{pk}__gt": last})
        rows = await query.order_by(pk).limit(gc.BATCH)
        for row in rows:
            yield row
        if len(rows) < gc.BATCH:
            return
        last = getattr(rows[-1], pk)
