"""schemathesis against the real service: every operation of /openapi.json, as an editor and
as a library member. Zero 5xx; every answer (status, content type, headers, body) as the
document says; without the token every protected operation refuses; other methods get 405
with an Allow header.

The service runs as a subprocess (``assets-hub serve``) on data seeded beforehand: a campaign,
published photos, Leeds with a branding profile, and one API token per role; a generated
schemathesis.toml makes requests name that data some of the time. Bounded: schemathesis's
coverage phase plus at most ``MAX_EXAMPLES`` generated requests per operation and role (about
a minute for both).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assets_hub.models import Role
from assets_hub.settings import PREFIX, Settings
from tests.conftest import PUBLISHABLE, app_client, make_jpeg, make_user, token_for
from tests.servers import free_ports

# A deeper run by hand: ASSETS_HUB_TEST_SCHEMATHESIS_EXAMPLES=25 ASSETS_HUB_TEST_SCHEMATHESIS_SEED=7
MAX_EXAMPLES = int(os.environ.get("ASSETS_HUB_TEST_SCHEMATHESIS_EXAMPLES", "3"))
SEED = os.environ.get("ASSETS_HUB_TEST_SCHEMATHESIS_SEED", "18")
MODE = os.environ.get("ASSETS_HUB_TEST_SCHEMATHESIS_MODE", "positive")  # or negative, all
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",  # without the token: refused, never answered
    "unsupported_method",  # other methods: 405 with Allow
    "allow_header_conformance",
)
SECRET = "s" * 40  # shared by the seeding process and the server, so tokens verify in both
SERVED = ("database_url", "storage_url", "search_url", "tmp_dir", "secret_key")
ASSETS = 4
CONFIG = """
[dictionaries.assets]
values = {assets}
[dictionaries.profiles]
values = [{profile}]
[dictionaries.slugs]
values = {slugs}
[dictionaries.presets]
values = ["instagram-square", "story"]

[parameters]
"path.asset_id" = {{ dictionary = "assets", probability = 0.6 }}
"path.profile_id" = {{ dictionary = "profiles", probability = 0.6 }}
"query.profile" = {{ dictionary = "profiles", probability = 0.6 }}
"path.slug" = {{ dictionary = "slugs", probability = 0.6 }}
"path.key" = {{ dictionary = "presets", probability = 0.5 }}
"query.preset" = {{ dictionary = "presets", probability = 0.6 }}
"""


@dataclass(frozen=True)
class Served:
    base_url: str
    headers: dict[str, dict[str, str]]
    config: str


async def _seed(settings: Settings) -> tuple[dict[str, str], str]:
    """Data to find, and one token per role; the app is closed again (it holds the index).

    Also the schemathesis.toml that makes generated requests name this data half the time
    (dictionaries of real ids), so they reach past the 404 of a random id."""
    async with app_client(settings) as http:
        editor = await make_user(http, Role.EDITOR)
        member = await make_user(http, Role.LIBRARY_MEMBER, library="leeds")
        admin = await make_user(http, Role.LIBRARY_ADMIN, library="leeds")
        tokens = {"editor": await token_for(http, editor), "member": await token_for(http, member)}
        as_editor = {"Authorization": f"Bearer {tokens['editor']}"}
        as_admin = {"Authorization": f"Bearer {await token_for(http, admin)}"}
        campaign = {"slug": "libraries-week", "name": "Libraries Week"}
        assert (await http.post("/api/v1/campaigns", json=campaign, headers=as_editor)).is_success
        assets = []
        for n in range(ASSETS):  # several: the run may delete or withdraw some
            upload = await http.post(
                "/api/v1/assets",
                files={"file": (f"photo{n}.jpg", make_jpeg(), "image/jpeg")},
                data={**PUBLISHABLE, "title": f"Reading group {n}", "campaign": "libraries-week"},
                headers=as_editor,
            )
            assert upload.status_code == 201, upload.text
            assets.append(upload.json()["id"])
        profile = await http.post(
            "/api/v1/libraries/leeds/profiles", json={"name": "Leeds"}, headers=as_admin
        )
        assert profile.status_code == 201, profile.text
        return tokens, CONFIG.format(
            assets=assets, profile=profile.json()["id"], slugs=["libraries-week", "leeds"]
        ).replace("'", '"')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("schemathesis")
    database = root / "db.sqlite3"
    database.write_bytes(migrated_sqlite.read_bytes())
    settings = Settings(
        database_url=f"sqlite://{database}",
        storage_url=f"file://{root / 'storage'}",
        search_url=f"embedded://{root / 'search'}",
        tmp_dir=str(root / "tmp"),
        secret_key=SECRET,
    )
    tokens, config = asyncio.run(_seed(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    env.update({PREFIX + name.upper(): str(getattr(settings, name)) for name in SERVED})
    env[PREFIX + "LOG_LEVEL"] = "warning"
    (port,) = free_ports(1)
    command = [sys.executable, "-m", "assets_hub", "serve", "--port", str(port)]
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the service did not start: {(root / 'server.log').read_text()}")
            time.sleep(0.2)
        yield Served(
            base_url,
            {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()},
            config,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        text = (root / "server.log").read_text()
        assert "Traceback" not in text, text[-4000:]


CLI = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize("role", ["editor", "member"])
def test_schemathesis_finds_nothing(served: Served, role: str, tmp_path: Path) -> None:
    """The schemathesis CLI's own run and summary (printed, and kept in the failure message)."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(served.config)
    command = [
        str(CLI),
        "--config-file",
        str(config),
        "run",
        f"{served.base_url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        MODE,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--no-shrink",
        "--no-color",
        "--max-redirects",
        "0",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--generation-with-security-parameters",
        "false",
        "--header",
        f"Authorization: {served.headers[role]['Authorization']}",
        # Revoking the run's own token would leave every later request a 401; revocation is
        # tested in tests/auth/test_tokens.py and tests/api/test_ids.py.
        "--exclude-operation-id",
        "token_revoke",
    ]
    run = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    print(run.stdout)  # noqa: T201 - the summary, for the record
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
    me = httpx.get(f"{served.base_url}/api/v1/me", headers=served.headers[role], timeout=10)
    assert me.status_code == 200, "the run's token stopped working half way: results are thin"
