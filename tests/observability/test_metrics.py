"""/metrics: Prometheus text a scraper can parse, by route template, from loopback or with the
metrics token; and the multiprocess path that several worker processes share."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from assets_hub.errors import ConfigError
from assets_hub.media.storage.local import TMP_DIR
from assets_hub.models import Role
from assets_hub.settings import Settings
from tests.api.test_posts_api import crew  # noqa: F401 - the fixture, reused
from tests.conftest import Crew, app_client, authorise, make_jpeg

METRICS_TOKEN = "m" * 40
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample by (name, labels), through prometheus_client's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_a_scrape_counts_requests_renders_uploads_and_queues_by_route_template(
    crew: Crew,  # noqa: F811 - the fixture imported above
) -> None:
    before = await scrape(crew.http)
    secret = "ahf_" + "s" * 40
    assert (await crew.http.get(f"/feeds/{secret}/libraries-week.atom")).status_code == 404
    jpeg = make_jpeg((800, 600), "#335577")
    upload = await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        data={"title": "Counted", "alt_text": "A colour.", "licence": "cc0"},
        files={"file": ("c.jpg", jpeg, "image/jpeg")},
    )
    assert upload.status_code == 201, upload.text
    render = f"/api/v1/assets/{crew.image}/render"  # type: ignore[attr-defined]
    params = {"preset": "instagram-square", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    for _ in range(2):  # rendered once, then served from storage
        assert (await crew.call("leeds", "GET", render, params=params)).status_code == 200
    response = await crew.http.get("/metrics")
    text = response.text
    after = parse(text)

    assert secret not in text
    feed = {"method": "GET", "route": "/feeds/{token}/{name}", "status": "404"}
    assert value(after, "assets_hub_http_requests_total", **feed) == 1 + value(
        before, "assets_hub_http_requests_total", **feed
    )
    assert value(after, "assets_hub_http_request_duration_seconds_count", **feed) >= 1
    rendered = {
        "method": "GET",
        "route": "/api/v1/assets/{asset_id}/render",
        "status": "200",
    }
    grew = [
        value(after, name, **labels) - value(before, name, **labels)
        for name, labels in (
            ("assets_hub_http_requests_total", rendered),
            ("assets_hub_rendition_cache_total", {"result": "miss"}),
            ("assets_hub_rendition_cache_total", {"result": "hit"}),
            ("assets_hub_render_duration_seconds_count", {}),
        )
    ]
    assert grew == [2, 1, 1, 1]
    uploaded = value(after, "assets_hub_upload_bytes_total") - value(
        before, "assets_hub_upload_bytes_total"
    )
    assert uploaded >= len(jpeg)
    for gauge in ("assets_hub_search_outbox_rows", "assets_hub_search_outbox_oldest_age_seconds"):
        assert (gauge, frozenset()) in after, gauge
    assert value(after, "assets_hub_pack_jobs", status="queued") == 0
    assert ("assets_hub_pack_jobs", frozenset({("status", "building")})) in after
    labels = {dict(key[1]).get("route") for key in after}
    assert not any(route and not route.startswith(("/", "(")) for route in labels)


async def test_storage_failures_are_counted(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    async with app_client(settings) as http:
        await authorise(http, Role.EDITOR)
        before = await scrape(http)
        root = settings.storage_url.removeprefix("file://")
        shutil.rmtree(f"{root}/{TMP_DIR}", ignore_errors=True)
        with open(f"{root}/{TMP_DIR}", "w") as blocker:  # a file where storage needs a folder
            blocker.write("not a folder")
        failed = await http.post(
            "/api/v1/assets",
            data={"title": "Lost", "alt_text": "A colour.", "licence": "cc0"},
            files={"file": ("l.jpg", make_jpeg(), "image/jpeg")},
        )
        assert failed.status_code == 503, failed.text
        after = await scrape(http)
    name = "assets_hub_backend_errors_total"
    assert value(after, name, backend="storage") == value(before, name, backend="storage") + 1


async def test_metrics_answer_loopback_or_the_token_only(
    make_settings: Callable[..., Settings],
) -> None:
    async with app_client(make_settings(metrics_token=METRICS_TOKEN)) as http:
        transport = http._transport
        assert (await http.get("/metrics")).status_code == 200  # the test client is 127.0.0.1
        relayed = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert relayed.status_code == 403 and "ASSETS_HUB_METRICS_TOKEN" in relayed.text
        app = transport.app  # type: ignore[attr-defined]
        remote = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4000)),
            base_url="https://testserver",
        )
        async with remote:
            assert (await remote.get("/metrics")).status_code == 403
            wrong = await remote.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
            assert wrong.status_code == 401
            allowed = await remote.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert allowed.status_code == 200
            assert "assets_hub_http_requests_total" in allowed.text
            # The metrics token is not an API token: it opens nothing else.
            other = await remote.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert other.status_code == 401


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="ASSETS_HUB_METRICS_TOKEN"):
        Settings.from_env({"ASSETS_HUB_METRICS_TOKEN": "short"})
