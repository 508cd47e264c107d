"""Deterministic cache keys for branded documents (same idea as ``rendition_key``).

Every function in this package gives equal bytes for equal inputs, so a branded copy can be
stored once under a key over everything that changes its bytes and served from storage on
every later download. Bump :data:`DOCUMENT_ENGINE_VERSION` whenever the output of a renderer
changes (layout, fonts, library versions that change bytes), so stale copies are not served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Literal

from assets_hub.branding.brand import Brand
from assets_hub.documents.zones import BrandZone, zone_to_json

DOCUMENT_ENGINE_VERSION = 1
DocumentFormat = Literal["pdf", "docx"]


def document_key(
    *,
    asset_id: str,
    source_version: str,
    fmt: DocumentFormat,
    brand: Brand,
    zone: BrandZone | None = None,
    local_fields: Mapping[str, str] | None = None,
) -> str:
    """SHA-256 hex over the engine version, source, format, zone, brand and local fields.

    ``source_version`` identifies the stored fact sheet or case-study revision (a content
    hash or version number); ``brand.fingerprint()`` covers colours, font, fields, logo, QR.
    """
    payload = {
        "engine": DOCUMENT_ENGINE_VERSION,
        "asset": asset_id,
        "source": source_version,
        "format": fmt,
        "zone": None if zone is None else zone_to_json(zone),
        "brand": brand.fingerprint(),
        "local": dict(sorted((local_fields or {}).items())),
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()
