"""Ids and slugs in addresses: range-checked here, once, for every route and query parameter.

Database ids are 64-bit integers (SQLite's INTEGER, PostgreSQL's BIGINT). A longer number
used to reach the database driver and fail there with a 500 (``OverflowError``). Paths declare
ids as ``{name:id}``: the ``id`` convertor matches 1 to ``ID_DIGITS`` digits only, so a longer
one matches no route and answers 404, like any other unknown address. Query parameters that
carry an id go through :func:`query_id` (400: the caller sent a malformed parameter, not the
address of something missing).
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

from assets_hub.errors import BadRequest

ID_DIGITS = 18  # 10**18 - 1 < 2**63 - 1: every id this accepts fits a signed 64-bit column
MAX_ID = 10**ID_DIGITS - 1
ID_SCHEMA: dict[str, object] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


class IdConvertor(Convertor[int]):
    """``{name:id}`` in a route path: 1 to 18 digits, given to the handler as an int."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())

# Campaign and library slugs: what the services accept when they are made. A longer string in
# an address used to reach the ORM, which refuses over-long values with a 500; ``{slug:slug}``
# makes it an address that matches no route (404).
SLUG_PATTERN = "[a-z0-9][a-z0-9-]{0,99}"
SLUG = re.compile(SLUG_PATTERN)


class SlugConvertor(Convertor[str]):
    """``{name:slug}`` in a route path: a campaign or library slug."""

    regex = SLUG_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("slug", SlugConvertor())


def query_id(name: str, raw: str) -> int:
    """An id sent as a query parameter; 400 naming the parameter unless it is in range."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > ID_DIGITS:
        raise BadRequest(f"{name} must be an id: a whole number of at most {ID_DIGITS} digits.")
    return int(text)
