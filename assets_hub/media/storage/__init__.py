"""open_storage(url): the one factory turning ASSETS_HUB_STORAGE_URL into a Storage."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from assets_hub.errors import ConfigError
from assets_hub.media.storage.base import Storage, StoredObject, validate_key

VARIABLE = "ASSETS_HUB_STORAGE_URL"
STORAGE_SCHEMES = {
    "file": "assets_hub.media.storage.local:LocalStorage",
    "s3": "assets_hub.media.storage.s3:S3Storage",
}


def open_storage(url: str) -> Storage:
    """Build the backend named by the URL's scheme; ConfigError naming the variable otherwise."""
    scheme = urlsplit(url).scheme
    if scheme not in STORAGE_SCHEMES:
        known = ", ".join(STORAGE_SCHEMES)
        raise ConfigError(VARIABLE, f"unknown scheme {scheme!r} in {url!r}; use one of {known}")
    module_name, _, class_name = STORAGE_SCHEMES[scheme].partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    storage: Storage = backend_class.from_url(url)
    return storage


__all__ = ["STORAGE_SCHEMES", "Storage", "StoredObject", "open_storage", "validate_key"]
