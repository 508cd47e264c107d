"""open_search(url): the one factory turning ASSETS_HUB_SEARCH_URL into a SearchBackend."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from assets_hub.errors import ConfigError
from assets_hub.search.base import SearchBackend

VARIABLE = "ASSETS_HUB_SEARCH_URL"
SEARCH_SCHEMES = {
    "embedded": "assets_hub.search.embedded:EmbeddedSearchBackend",
    "meilisearch+http": "assets_hub.search.meili:MeilisearchBackend",
    "meilisearch+https": "assets_hub.search.meili:MeilisearchBackend",
}


def open_search(url: str, *, timeout_s: float = 2.0) -> SearchBackend:
    """Build the backend named by the URL's scheme; ConfigError naming the variable otherwise."""
    scheme = urlsplit(url).scheme
    if scheme not in SEARCH_SCHEMES:
        known = ", ".join(SEARCH_SCHEMES)
        raise ConfigError(VARIABLE, f"unknown scheme {scheme!r} in {url!r}; use one of {known}")
    module_name, _, class_name = SEARCH_SCHEMES[scheme].partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    backend: SearchBackend = backend_class.from_url(url, timeout_s=timeout_s)
    return backend


__all__ = ["SEARCH_SCHEMES", "SearchBackend", "open_search"]
