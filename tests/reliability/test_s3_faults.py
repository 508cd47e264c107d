"""F1 and F3 (fast variants): S3 breaks during an upload or a download, then comes back.

The app's S3 endpoint is a fault proxy in front of the session's SeaweedFS. While the link is
broken the client gets a 503 with Retry-After and a message a person understands, nothing is
stored (no object, no incomplete multipart upload), and once the link is back the same request
succeeds exactly once, without restarting the app. The auditor checks I1-I6 and I8 after.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from assets_hub import db
from assets_hub.models import Asset, AssetVersion
from tests.reliability.auditor import Ledger, audit
from tests.reliability.rigs import Rig, assert_refused_cleanly, library_profile, noisy_jpeg, upload

pytestmark = pytest.mark.s3


@pytest.mark.parametrize(
    ("mode", "options", "size"),
    [
        ("refuse", {}, (800, 600)),
        ("reset", {}, (800, 600)),
        ("cut", {"budget": 400_000}, (1000, 800)),  # one PutObject cut at about half its body
        ("cut", {"budget": 4_000_000}, (2900, 2900)),  # a multipart upload's first part cut
    ],
    ids=["refused", "reset", "cut-put", "cut-multipart"],
)
async def test_upload_while_s3_is_broken_is_503_and_leaves_nothing(
    rig: Rig, mode: str, options: dict[str, float], size: tuple[int, int]
) -> None:
    photo = noisy_jpeg(*size)
    ledger = Ledger()
    with rig.proxy.fault(mode, **options):
        refused = await upload(rig, photo)
    ledger.record(refused)
    assert_refused_cleanly(refused)
    assert rig.objects() == []  # nothing stored, not even the original
    assert rig.multipart_uploads() == []
    with db.activate(rig.backends.database):
        assert await Asset.all().count() == 0
    # The link is back: the same upload works at once, in the same process, exactly once.
    accepted = await upload(rig, photo)
    ledger.record(accepted)
    assert accepted.status_code == 201, accepted.text
    with db.activate(rig.backends.database):
        assert await Asset.all().count() == 1
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_download_while_s3_is_down_is_503_then_works(rig: Rig) -> None:
    ledger = Ledger()
    made = await upload(rig, noisy_jpeg(600, 400))
    ledger.record(made)
    assert made.status_code == 201, made.text
    thumbnail = f"/api/v1/assets/{made.json()['id']}/thumbnail"
    assert (await rig.http.get(thumbnail)).status_code == 200
    with rig.proxy.fault("refuse"):
        down = await rig.http.get(thumbnail)
        assert (await rig.http.get("/healthz")).status_code == 200  # the app itself answers
    assert_refused_cleanly(down)
    back = await rig.http.get(thumbnail)
    assert back.status_code == 200 and back.headers["content-type"] == "image/webp"
    with db.activate(rig.backends.database):
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_download_cut_mid_stream_is_503_never_a_short_image(rig: Rig) -> None:
    ledger = Ledger()
    made = await upload(rig, noisy_jpeg(1600, 1200))
    ledger.record(made)
    assert made.status_code == 201, made.text
    preview = f"/api/v1/assets/{made.json()['id']}/preview"
    with db.activate(rig.backends.database):
        version = await AssetVersion.get(asset_id=made.json()["id"])
    whole = rig.s3.get_object(Bucket=rig.bucket, Key=version.preview_key)["Body"].read()
    assert len(whole) > 100_000
    with rig.proxy.fault("cut_down", budget=40_000):  # storage dies 40 KB into the answer
        cut = await rig.http.get(preview)
    assert_refused_cleanly(cut)
    back = await rig.http.get(preview)
    assert back.status_code == 200 and back.content == whole
    with db.activate(rig.backends.database):
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_outage_then_recovery_without_restart(rig: Rig) -> None:
    """F2, fast: several uploads and downloads during an outage, all fine right after it."""
    ledger = Ledger()
    made = await upload(rig, noisy_jpeg(500, 400))
    ledger.record(made)
    thumbnail = f"/api/v1/assets/{made.json()['id']}/thumbnail"
    photos = [noisy_jpeg(300 + n, 200) for n in range(3)]
    with rig.proxy.fault("refuse"):
        during = [await upload(rig, photo) for photo in photos]
        during += [await rig.http.get(thumbnail) for _ in range(5)]
        ready = await rig.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["storage"] != "ok"
    for response in during[: len(photos)]:
        ledger.record(response)
    for response in during:
        assert_refused_cleanly(response)
    connections = rig.proxy.connections
    after = [await upload(rig, photo) for photo in photos]
    for response in after:
        ledger.record(response)
        assert response.status_code == 201, response.text
    assert all([(await rig.http.get(thumbnail)).status_code == 200 for _ in range(5)])
    assert rig.proxy.connections > connections  # fresh connections, not dead pooled ones
    assert (await rig.http.get("/readyz")).status_code == 200  # green again, no restart
    with db.activate(rig.backends.database):
        assert await Asset.all().count() == 4
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_no_key_is_ever_written_twice(rig: Rig) -> None:
    """F5: the product never overwrites a key, so eventually consistent overwrites cannot
    hurt it: the same bytes again, a new version, renders and gc write no key a second time."""
    from assets_hub.media.storage.s3 import S3Storage
    from tests.media.conftest import guard_s3_writes

    assert isinstance(rig.backends.storage, S3Storage)
    overwritten = guard_s3_writes(rig.backends.storage)
    ledger = Ledger()
    photo = noisy_jpeg(900, 700)
    for _ in range(2):  # the second upload of the same bytes reuses every stored file
        made = await upload(rig, photo)
        ledger.record(made)
        assert made.status_code == 201, made.text
    asset = made.json()["id"]
    version = await rig.http.post(
        f"/api/v1/assets/{asset}/versions",
        files={"file": ("again.jpg", photo, "image/jpeg")},
    )
    assert version.status_code == 201, version.text
    auth, profile = await library_profile(rig)
    params = {
        "preset": "instagram-square",
        "profile": str(profile),
        "allow_smaller": "1",
    }
    for _ in range(2):
        render = await rig.http.get(f"/api/v1/assets/{asset}/render", params=params, headers=auth)
        assert render.status_code in (200, 302), render.text
    with db.activate(rig.backends.database):
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []
    assert overwritten == []


async def test_slow_s3_holds_only_the_requests_that_use_it(rig: Rig) -> None:
    """F4, fast: with every S3 exchange slowed, an upload waits but pages that do not touch
    storage are answered meanwhile (S3 calls run off the event loop), and speed returns
    without a restart."""
    ledger = Ledger()
    with rig.proxy.fault("slow", latency_s=0.1):
        upload_task = asyncio.create_task(upload(rig, noisy_jpeg(700, 500)))
        answered_meanwhile = 0
        while not upload_task.done() and answered_meanwhile < 5:
            assert (await rig.http.get("/api/v1/campaigns")).status_code == 200
            answered_meanwhile += 1
        slow = await upload_task
    ledger.record(slow)
    assert answered_meanwhile == 5  # all while the upload was still waiting on S3
    assert slow.status_code == 201, slow.text  # slow is not down: it still succeeds
    fast = await upload(rig, noisy_jpeg(720, 500))
    ledger.record(fast)
    assert fast.status_code == 201, fast.text
    with db.activate(rig.backends.database):
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_thundering_herd_renders_once(rig: Rig) -> None:
    """F15, fast: 30 simultaneous requests for one uncached rendition make one render, one
    stored object and identical answers."""
    from assets_hub.models import Rendition

    made = await upload(rig, noisy_jpeg(1300, 1300))
    assert made.status_code == 201, made.text
    auth, profile = await library_profile(rig)
    url = f"/api/v1/assets/{made.json()['id']}/render"
    params = {"preset": "instagram-square", "profile": str(profile)}
    start = asyncio.Event()

    async def one() -> httpx.Response:
        await start.wait()
        return await rig.http.get(url, params=params, headers=auth)

    tasks = [asyncio.create_task(one()) for _ in range(30)]
    await asyncio.sleep(0)
    start.set()
    answers = await asyncio.gather(*tasks)
    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 302, 429}, statuses  # 429: the render throttle, by design
    bodies = {a.content for a in answers if a.status_code == 200}
    assert len(bodies) <= 1
    with db.activate(rig.backends.database):
        assert await Rendition.all().count() == 1
    assert len([k for k in rig.objects() if k.startswith("renditions/")]) == 1


class _SlowDown:
    """A botocore before-send hook answering the next ``times`` PutObject calls with 503."""

    BODY = (
        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
        b"<Message>Please reduce your request rate.</Message></Error>"
    )

    def __init__(self, times: int) -> None:
        self.left = times
        self.answered = 0

    def __call__(self, request: object, **_: object) -> object:
        from botocore.awsrequest import AWSResponse

        if self.left <= 0:
            return None
        self.left -= 1
        self.answered += 1
        body = self.BODY

        class Raw:
            def stream(self, **_: object) -> object:
                yield body

        return AWSResponse(
            getattr(request, "url", ""), 503, {"Content-Type": "application/xml"}, Raw()
        )


@pytest.mark.parametrize(("times", "accepted"), [(2, True), (10, False)])
async def test_slowdown_is_retried_away_or_refused_cleanly(
    rig: Rig, times: int, accepted: bool
) -> None:
    """F1 (d): two 503 SlowDown answers are retried away; ten exhaust the bounded retries
    and the upload is refused with nothing stored."""
    ledger = Ledger()
    slowdown = _SlowDown(times)
    client = rig.backends.storage.client  # type: ignore[attr-defined]
    client.meta.events.register("before-send.s3.PutObject", slowdown)
    try:
        response = await upload(rig, noisy_jpeg(640, 480))
    finally:
        client.meta.events.unregister("before-send.s3.PutObject", slowdown)
    ledger.record(response)
    if accepted:
        assert response.status_code == 201, response.text
        assert slowdown.answered == 2
    else:
        assert_refused_cleanly(response)
        assert slowdown.answered == 3  # three attempts in all, then the 503
        assert rig.objects() == []
    with db.activate(rig.backends.database):
        assert await audit(rig.backends, ledger, multipart_uploads=rig.multipart_uploads) == []


async def test_uncached_render_with_s3_down_is_503_and_not_cached(rig: Rig) -> None:
    """F3 (b): the render needs the master from storage; with S3 down it is a 503, nothing
    (no placeholder) is recorded as the rendition, and the same URL renders once S3 is back."""
    from assets_hub.models import Rendition

    made = await upload(rig, noisy_jpeg(1300, 1300))
    assert made.status_code == 201, made.text
    auth, profile = await library_profile(rig)
    url = f"/api/v1/assets/{made.json()['id']}/render"
    params = {"preset": "instagram-square", "profile": str(profile)}
    with rig.proxy.fault("refuse"):
        down = await rig.http.get(url, params=params, headers=auth)
    assert_refused_cleanly(down)
    with db.activate(rig.backends.database):
        assert await Rendition.all().count() == 0
    back = await rig.http.get(url, params=params, headers=auth)
    assert back.status_code in (200, 302), back.text
    with db.activate(rig.backends.database):
        assert await Rendition.all().count() == 1
    assert len([k for k in rig.objects() if k.startswith("renditions/")]) == 1


async def test_presigned_download_redirects_while_s3_is_down(rig: Rig) -> None:
    """F3 (d): signing is local, so the app still answers the redirect; the failure is
    between the client and storage, and the same link works once storage is back."""
    photo = noisy_jpeg(500, 400)
    made = await upload(rig, photo)
    assert made.status_code == 201, made.text
    with rig.proxy.fault("refuse"):
        redirect = await rig.http.get(f"/api/v1/assets/{made.json()['id']}/download")
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["location"]
        async with httpx.AsyncClient() as outside:
            with pytest.raises(httpx.ConnectError):
                await outside.get(location)
    async with httpx.AsyncClient() as outside:
        fetched = await outside.get(location)
    assert fetched.status_code == 200 and fetched.content == photo


async def test_fan_out_of_distinct_renditions(rig: Rig) -> None:
    """F16, fast and small: every preset of one asset requested at once, three times each.

    Only designed answers (200/302, or 429/503 with Retry-After), never another 5xx; every
    rendition exists once afterwards, as one object each."""
    from assets_hub.models import Rendition

    made = await upload(rig, noisy_jpeg(2000, 2000))
    assert made.status_code == 201, made.text
    auth, profile = await library_profile(rig)
    url = f"/api/v1/assets/{made.json()['id']}/render"
    presets = ["instagram-square", "instagram-portrait", "story", "facebook-link", "x-post"]
    asks = [p for p in presets for _ in range(3)]
    answers = await asyncio.gather(
        *(
            rig.http.get(url, params={"preset": p, "profile": str(profile)}, headers=auth)
            for p in asks
        )
    )
    for answer in answers:
        assert answer.status_code in (200, 302, 429, 503), answer.text
        if answer.status_code in (429, 503):
            assert answer.headers["retry-after"].isdigit()
    with db.activate(rig.backends.database):
        assert await Rendition.all().count() == len(presets)
    assert len([k for k in rig.objects() if k.startswith("renditions/")]) == len(presets)
