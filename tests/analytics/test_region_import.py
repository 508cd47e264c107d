"""The libraries open-data import records each service's region (the figures group by it)."""

from __future__ import annotations

import httpx

from assets_hub import db
from assets_hub.models import Library
from assets_hub.services.library_import import import_libraries
from tests.conftest import http_state

SHEET = (
    "Local authority,Library name,Postcode,Region\n"
    "Leeds,Central Library,LS1 3AB,Yorkshire and The Humber\n"
    "Kent,Maidstone Library,ME14 1LH,\n"
)


async def test_the_region_column_is_imported_and_updated(client: httpx.AsyncClient) -> None:
    with db.activate(http_state(client).database):
        await import_libraries(SHEET.encode())
        regions = dict(await Library.all().values_list("slug", "region"))
        assert regions == {"leeds": "Yorkshire and The Humber", "kent": ""}
        await import_libraries(SHEET.replace(",\n", ",South East\n").encode())
        assert (await Library.get(slug="kent")).region == "South East"
