"""Two app processes behind nginx share everything a user relies on: a session made on one
works on the other, sign-in throttling counts across both, an upload through one is seen by
the other, and a rendition made by one is served by the other without a second render.

Every request names the replica it goes to (or nginx), so none of this can pass by luck of
round robin; nginx's X-Upstream header shows that it does balance over both.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import PUBLISHABLE, make_jpeg
from tests.observability.test_metrics import parse, value
from tests.replicas.stack import Stack, cli, run_cli, worker

pytestmark = [pytest.mark.postgres, pytest.mark.s3]

COOKIE = "__Host-assets_hub_session"
RENDERS = "assets_hub_render_duration_seconds_count"
PERIODIC_WAIT_S = 90.0  # main's sweep runs every 60 s; the queue's periodic task may be sooner


def _bearer(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token}"}


def _sign_in(url: str, email: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/signin",
        data={"email": email, "password": password, "next": "/"},
        headers={"Origin": url},
        timeout=30,
    )


def _session_cookie(response: httpx.Response) -> str:
    """The session token from Set-Cookie (httpx keeps __Host-/Secure cookies off plain http)."""
    assert response.status_code == 303, response.text
    found = re.search(rf"{COOKIE}=([^;]+)", response.headers["set-cookie"])
    assert found, response.headers["set-cookie"]
    return f"{COOKIE}={found.group(1)}"


def _renders(url: str) -> float:
    """Renditions this replica has rendered itself (its own /metrics; loopback needs no token)."""
    answer = httpx.get(f"{url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    return value(parse(answer.text), RENDERS)


def _upload(url: str, stack: Stack, title: str, **fields: str) -> str:
    made = httpx.post(
        f"{url}/api/v1/assets",
        headers=_bearer(stack),
        data={**PUBLISHABLE, "title": title, **fields},
        files={"file": ("photo.jpg", make_jpeg((1600, 1200), "#2a6f97"), "image/jpeg")},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_nginx_balances_over_both_replicas(stack: Stack) -> None:
    answered = {
        httpx.get(f"{stack.balancer}/healthz", timeout=10).headers["x-upstream"] for _ in range(4)
    }
    assert answered == {urlsplit(url).netloc for url in stack.replicas}
    ready = httpx.get(f"{stack.balancer}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text


def test_a_session_made_on_one_replica_works_on_the_other_and_ends_on_both(
    stack: Stack,
) -> None:
    first, second = stack.replicas
    cookie = _session_cookie(_sign_in(first, stack.email, stack.password))
    for url in (second, stack.balancer, stack.balancer):
        me = httpx.get(f"{url}/api/v1/me", headers={"Cookie": cookie}, timeout=10)
        assert me.status_code == 200, (url, me.text)
        assert me.json()["email"] == stack.email

    page = httpx.get(f"{second}/", headers={"Cookie": cookie}, timeout=10)
    assert f"Signed in as {stack.email}" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text[:2000]
    # The form came from the second replica; the first accepts its token and ends the session.
    out = httpx.post(
        f"{first}/signout",
        data={"csrf_token": csrf.group(1)},
        headers={"Cookie": cookie, "Origin": first},
        timeout=10,
    )
    assert out.status_code == 303, out.text
    for url in (second, stack.balancer):
        gone = httpx.get(f"{url}/api/v1/me", headers={"Cookie": cookie}, timeout=10)
        assert gone.status_code == 401, (url, gone.text)


def test_failed_sign_ins_are_counted_across_replicas(stack: Stack) -> None:
    """Ten failures for one account, five on each replica, lock it out on both (Redis)."""
    email = stack.target
    # At once: after three failures each answer is slowed, one after another would take 9 s.
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(
                lambda n: _sign_in(stack.replicas[n % 2], email, "wrong").status_code, range(10)
            )
        )
    assert answers == [401] * 10
    for url in stack.replicas:
        refused = _sign_in(url, email, stack.password)
        assert refused.status_code == 429, (url, refused.text)
        assert int(refused.headers["retry-after"]) > 0


def test_an_asset_uploaded_through_one_replica_is_seen_by_the_other(stack: Stack) -> None:
    first, second = stack.replicas
    asset = _upload(first, stack, "Reading group at the branch")
    for url in (second, stack.balancer):
        seen = httpx.get(f"{url}/api/v1/assets/{asset}", headers=_bearer(stack), timeout=10)
        assert seen.status_code == 200, (url, seen.text)
        assert seen.json()["title"] == "Reading group at the branch"
    original = httpx.get(f"{second}/api/v1/assets/{asset}/download", headers=_bearer(stack))
    assert original.status_code == 302  # a presigned S3 URL: the bytes live in shared storage
    assert httpx.get(original.headers["location"], timeout=30).content[:3] == b"\xff\xd8\xff"


def test_a_rendition_made_by_one_replica_is_served_by_the_other_without_rendering(
    stack: Stack,
) -> None:
    first, second = stack.replicas
    asset = _upload(first, stack, "Storytime poster")
    before = [_renders(url) for url in stack.replicas]
    path = f"/api/v1/assets/{asset}/render"
    params = {"preset": "instagram-square"}
    made = httpx.get(f"{first}{path}", params=params, headers=_bearer(stack), timeout=60)
    assert made.status_code == 302, made.text
    served = [
        httpx.get(f"{url}{path}", params=params, headers=_bearer(stack), timeout=60)
        for url in (second, stack.balancer, stack.balancer)
    ]
    after = [_renders(url) for url in stack.replicas]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 0]

    def stored_at(response: httpx.Response) -> str:
        assert response.status_code == 302, response.text
        return urlsplit(response.headers["location"]).path

    assert {stored_at(response) for response in served} == {stored_at(made)}
    first_bytes = httpx.get(made.headers["location"], timeout=30).content
    assert first_bytes[:3] == b"\xff\xd8\xff"
    assert httpx.get(served[0].headers["location"], timeout=30).content == first_bytes


def test_search_sees_an_asset_indexed_by_the_other_replica(stack: Stack) -> None:
    first, second = stack.replicas
    asset = _upload(first, stack, "Lighthouse knitting circle")
    deadline = time.monotonic() + 10
    while True:
        found = httpx.get(
            f"{second}/api/v1/assets", params={"q": "lighthouse"}, headers=_bearer(stack)
        )
        assert found.status_code == 200, found.text
        if [hit["id"] for hit in found.json()["hits"]] == [asset]:
            break
        assert time.monotonic() < deadline, found.json()
        time.sleep(0.1)


@cache
def _has_worker() -> bool:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*cli(), "--help"], capture_output=True, text=True, timeout=60
    )
    return re.search(r"^\s+worker\s", done.stdout, re.M) is not None


NO_WORKER = "`assets-hub worker` does not exist yet (the job-queue work of issue 19)"


def _follow(response: httpx.Response) -> bytes:
    """The body, or the body behind a presigned S3 redirect."""
    if response.status_code == 302:
        response = httpx.get(response.headers["location"], timeout=60)
    assert response.status_code == 200, response.text
    return response.content


def _library_profile(stack: Stack, name: str) -> int:
    """A new library and its branding profile, made through both replicas; the profile id."""
    first, second = stack.replicas
    headers = _bearer(stack)
    made = httpx.post(f"{first}/api/v1/libraries", json={"name": name}, headers=headers)
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    profile = httpx.post(
        f"{second}/api/v1/libraries/{slug}/profiles",
        json={"name": "Main", "primary": "#00703c", "library_name": "Leeds Central Library"},
        headers=headers,
    )
    assert profile.status_code == 201, profile.text
    return int(profile.json()["id"])


def _pack_through_both(stack: Stack, campaign: str) -> None:
    """A two-image pack of a new campaign, asked through nginx, followed on the second
    replica, downloaded through each: the same archive."""
    first, second = stack.replicas
    headers = _bearer(stack)
    profile = _library_profile(stack, f"{campaign.title()} Libraries")
    made = httpx.post(
        f"{first}/api/v1/campaigns", json={"slug": campaign, "name": campaign}, headers=headers
    )
    assert made.status_code == 201, made.text
    for title in ("Launch poster", "Launch banner"):
        _upload(second, stack, title, campaign=campaign)
    asked = httpx.get(
        f"{stack.balancer}/api/v1/campaigns/{campaign}/pack.zip",
        params={"profile": str(profile), "presets": "instagram-square"},
        headers=headers,
        timeout=60,
    )
    assert asked.status_code == 202, asked.text
    job = asked.json()
    deadline = time.monotonic() + 60
    while job["status"] not in {"ready", "failed"}:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = httpx.get(f"{second}/api/v1/pack-jobs/{job['id']}", headers=headers).json()
    assert job["status"] == "ready", job
    download = f"/api/v1/pack-jobs/{job['id']}/download"
    packs = [
        _follow(httpx.get(f"{url}{download}", headers=headers, timeout=60))
        for url in (first, second)
    ]
    assert packs[0] == packs[1]
    with zipfile.ZipFile(io.BytesIO(packs[0])) as archive:
        images = [name for name in archive.namelist() if name.endswith(".jpg")]
    assert sorted(images) == [
        "instagram-square/Launch banner.jpg",
        "instagram-square/Launch poster.jpg",
    ]


def test_a_pack_built_in_the_background_downloads_through_either_replica(stack: Stack) -> None:
    _pack_through_both(stack, "launch")


def test_a_pack_built_by_the_worker_downloads_through_either_replica(
    stack: Stack, tmp_path: Path
) -> None:
    if not _has_worker():
        pytest.skip(NO_WORKER)
    # Web processes still build packs themselves until a setting turns that off; add it to
    # the stack's environment then, so this proves the worker built it.
    with worker(stack.env, tmp_path / "worker.log"):
        _pack_through_both(stack, "worker-launch")


def test_periodic_jobs_run_once_across_replicas_and_workers(stack: Stack, tmp_path: Path) -> None:
    """The expiry sweep runs in every replica and worker: an expired asset downloaded by a
    library gets that library exactly one takedown notice, not one per process."""
    if not _has_worker():
        pytest.skip(NO_WORKER)
    first, second = stack.replicas
    # CLI commands open a search index: one of their own, the replicas hold theirs.
    env = {**stack.env, "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp_path / 'search'}"}
    library = run_cli(env, "create-library", "--name", "Periodic Libraries").split(": ")[-1]
    member = f"member.{uuid.uuid4().hex[:8]}@example.org"
    run_cli(
        env,
        "create-user",
        "--email",
        member,
        "--role",
        "library_member",
        "--library",
        library.strip(),
        "--password",
        stack.password,
    )
    token = run_cli(env, "create-token", "--email", member).strip().splitlines()[-1]
    expires = datetime.now(UTC) + timedelta(seconds=5)
    asset = _upload(first, stack, "Expiring flyer", expires_at=expires.isoformat())
    taken = httpx.get(
        f"{second}/api/v1/assets/{asset}/render",
        params={"preset": "instagram-square"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert taken.status_code == 302, taken.text

    def notices() -> list[dict[str, object]]:
        answer = httpx.get(
            f"{stack.balancer}/api/v1/notices", params={"all": "1"}, headers=_bearer(stack)
        )
        assert answer.status_code == 200, answer.text
        return [n for n in answer.json()["notices"] if str(n["asset"]["id"]) == asset]

    with worker(env, tmp_path / "worker-1.log"), worker(env, tmp_path / "worker-2.log"):
        deadline = time.monotonic() + PERIODIC_WAIT_S
        while not notices():
            assert time.monotonic() < deadline, "no takedown notice: the sweep did not run"
            time.sleep(0.5)
        time.sleep(2.0)  # any second sweep racing the first has finished by now
        assert len(notices()) == 1
