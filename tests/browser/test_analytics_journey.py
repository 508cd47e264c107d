"""The campaign team reads its usage figures: a library member downloads the village photo,
the editor opens the dashboard for Libraries Week (axe-clean, with JavaScript and without),
opens the library chart's table alternative and reads the member's library in it; visitors
read the open data page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import EDITOR, MEMBER, Journey

pytestmark = pytest.mark.browser


def test_the_editor_reads_a_charts_table_alternative(
    journey: Journey, more_journeys: Callable[..., Journey]
) -> None:
    member = more_journeys("member")
    member.sign_in(*MEMBER)
    found = member.page.request.get(member.base_url + "/api/v1/assets?q=village")
    photo = found.json()["hits"][0]["id"]
    got = member.page.request.get(f"{member.base_url}/api/v1/assets/{photo}/download")
    assert got.status == 200

    journey.sign_in(*EDITOR)
    journey.goto("/editor/analytics?campaign=libraries-week&group=week")
    page = journey.page
    assert page.get_by_role("heading", name="Usage: Libraries Week").is_visible()
    chart = page.get_by_role("img", name="Downloads by library service")
    assert chart.is_visible()
    summary = page.locator("#library-summary").inner_text()
    assert re.search(r"Leeds Libraries led with \d+", summary), summary
    journey.check("dashboard")

    page.get_by_text("Downloads by library service as a table").click()
    table = page.get_by_role("table", name="Downloads by library service")
    assert table.is_visible()
    header = table.get_by_role("row").first.inner_text()
    assert "Files as they are" in header and "Branded renders" in header
    leeds = table.get_by_role("row", name=re.compile("Leeds Libraries"))
    cells = leeds.get_by_role("cell").all_inner_texts()
    assert int(cells[-1]) >= 1, cells
    journey.check("library table open")

    no_js = more_journeys("no javascript", java_script_enabled=False)
    no_js.sign_in(*EDITOR)
    no_js.goto("/editor/analytics?campaign=libraries-week")
    assert no_js.page.get_by_role("img", name="Downloads per day").is_visible()
    no_js.check("dashboard without javascript", axe=False)

    visitor = more_journeys("visitor")
    visitor.goto("/open-data")
    assert visitor.page.get_by_role("heading", name=re.compile("Open data")).is_visible()
    assert visitor.page.get_by_role("link", name="Open Government Licence v3.0").is_visible()
    visitor.check("open data page")
