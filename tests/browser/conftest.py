"""Browser fixtures: a real uvicorn server on loopback, Debian's Chromium driven by Playwright.

Every page a test visits gets axe-core (from node_modules, installed by ``npm ci``) injected
before its own scripts, through the DevTools protocol, so the page's strict CSP stays on.
``Journey.check`` runs axe (WCAG 2.0/2.1/2.2 A and AA), saves a screenshot under
``test-artifacts/browser/<test>/`` and fails on any violation, console error or CSP report.

Without Chromium (``/usr/bin/chromium``) or axe-core the tests skip with the reason, unless
``ASSETS_HUB_TEST_BROWSER=required`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import make_jpeg

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path(os.environ.get("ASSETS_HUB_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FOCUS_VISIBLE = (Path(__file__).resolve().parent / "focus_visible.js").read_text()
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STARTUP_TIMEOUT_S = 30.0

# Demo accounts created by `assets-hub demo` (assets_hub/demo.py).
MEMBER = ("staff@leeds.demo.assets-hub.org", "demo-leeds-staff")
EDITOR = ("editor@demo.assets-hub.org", "demo-editor-password")
ADMIN = ("admin@demo.assets-hub.org", "demo-admin-password")
INVITEE = "new.starter@leeds.example.org"  # invited by the fixture, no password yet


def _missing_prerequisite() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make browser-deps installs Debian's chromium as root)"
    if not AXE.exists():
        return f"{AXE.relative_to(ROOT)} is missing (run npm ci)"
    if not (ROOT / "static" / "build" / "app.css").exists():
        return "static/build/app.css is missing (run npm ci && npm run build)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser_prerequisites() -> None:
    """Skip (locally) or fail (CI) when the browser, axe-core or the built CSS is missing."""
    reason = _missing_prerequisite()
    if reason is None:
        return
    if os.environ.get("ASSETS_HUB_TEST_BROWSER") == "required":
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    """The app served by uvicorn in a child process, on its own data directory."""

    url: str
    data_dir: Path
    log_path: Path
    invitation_path: str  # /invitation/{token} for INVITEE, unused so far


def _cli() -> list[str]:
    beside = Path(sys.executable).parent / "assets-hub"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "assets_hub"]


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {STARTUP_TIMEOUT_S:.0f}s")


def _upload_village_photo(url: str, token: str) -> None:
    """The asset the journeys look for (with a typo): published in the Libraries Week campaign."""
    import httpx

    fields = {
        "title": "Library bus visiting the village",
        "description": "Photograph for local use.",
        "campaign": "libraries-week",
        "tags": "mobile library, community, outdoors",
        "alt_text": "A blue mobile library bus parked on a village green.",
        "licence": "own-work",
        "audience": "everyone",
        "status": "published",
    }
    # Big enough for every square and portrait social preset (the render API refuses to
    # upscale more than 1.25 times): 1200 by 800 made the Instagram square download a 422.
    photo = make_jpeg((1800, 1200), "#2a6f97")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        response = http.post(
            "/api/v1/assets", data=fields, files={"file": ("village-bus.jpg", photo, "image/jpeg")}
        )
    assert response.status_code == 201, response.text


@pytest.fixture(scope="session")
def live_server(
    browser_prerequisites: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Migrate a fresh data directory, load the demo (accounts, campaigns, a few assets) and
    serve it on a free loopback port for the whole session."""
    data = tmp_path_factory.mktemp("live-server")
    photos = data / "photos"
    photos.mkdir()  # empty: the demo's generated posters only, no 12-megapixel photo
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETS_HUB_")}
    env.update(
        {
            "ASSETS_HUB_DATABASE_URL": f"sqlite://{data / 'db.sqlite3'}",
            "ASSETS_HUB_STORAGE_URL": f"file://{data / 'storage'}",
            "ASSETS_HUB_SEARCH_URL": f"embedded://{data / 'search'}",
            "ASSETS_HUB_TMP_DIR": str(data / "tmp"),
            "ASSETS_HUB_BASE_URL": url,
            "ASSETS_HUB_LOG_LEVEL": "warning",
        }
    )
    # Before serving: the embedded search index has one writer at a time.
    printed: dict[str, str] = {}
    for command in (
        ["migrate"],
        ["demo", "--photos", str(photos)],
        ["create-user", "--email", INVITEE, "--role", "library_member", "--library", "leeds"],
        ["create-token", "--email", EDITOR[0], "--name", "browser tests"],
    ):
        done = subprocess.run(  # noqa: S603 - our own CLI
            [*_cli(), *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"assets-hub {command[0]} failed:\n{done.stderr[-3000:]}"
        printed[command[0]] = done.stdout
    token = printed["create-token"].strip().splitlines()[-1]
    invitation = re.search(r"(/invitation/[^\s]+)", printed["create-user"])
    assert invitation, printed["create-user"]
    log_path = data / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(url, process, log_path)
        _upload_village_photo(url, token)
        yield LiveServer(url, data, log_path, invitation.group(1))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser(browser_prerequisites: None) -> Iterator[Browser]:
    """One headless Chromium for this package's tests.

    Package scope, not session: Playwright's sync API keeps its own event loop running while
    it is open, and pytest-asyncio cannot start a test's loop inside it afterwards.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Journey:
    """One test's browser tab, with axe on every page and a screenshot per step."""

    page: Page
    base_url: str
    folder: Path
    steps: int = 0
    problems: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a page of the live server."""
        self.page.goto(self.base_url + path)

    def check(self, name: str, *, axe: bool = True) -> None:
        """Screenshot, then axe (zero violations) and no console errors or CSP reports."""
        page = self.page
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        page.screenshot(path=str(self.folder / f"{self.steps:02d}-{slug}.png"), full_page=True)
        assert not self.problems, f"console errors up to {name}:\n" + "\n".join(self.problems)
        if not axe:
            return
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        assert len(results["passes"]) > 10, f"axe did not run on {page.url}: {dump(results)}"
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"]
        ]
        assert not violations, f"axe on {page.url} ({name}):\n" + "\n".join(violations)

    def sign_in(self, email: str, password: str) -> None:
        """Sign in with the form (for tests whose subject is not the sign-in itself)."""
        page = self.page
        self.goto("/signin")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(self.base_url + "/")

    def focused(self, expression: str) -> Any:
        """Evaluate ``expression`` with ``el`` bound to the focused element."""
        script = f"(() => {{ const el = document.activeElement; return {expression}; }})()"
        return self.page.evaluate(script)

    def tab_to(self, condition: str, *, limit: int = 80) -> None:
        """Press Tab until ``condition`` (JS, ``el`` = focused element) holds; every stop on
        the way must show a visible focus indicator."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            state = self.page.evaluate(FOCUS_VISIBLE)
            if state.get("why") != "nothing focused":
                assert state["ok"], f"focus not visible: {dump(state)}"
            if self.focused(condition):
                return
        raise AssertionError(f"never reached {condition!r} with Tab")


def _artefact_folder(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def open_journey(
    browser: Browser, live_server: LiveServer, folder: Path, **context: Any
) -> tuple[BrowserContext, Journey]:
    """A fresh browser context (own cookies) and a page with axe preloaded."""
    ctx = browser.new_context(base_url=live_server.url, **context)
    ctx.add_init_script(path=str(AXE))
    page = ctx.new_page()
    journey = Journey(page, live_server.url, folder)

    def on_console(message: ConsoleMessage) -> None:
        # A page's own 401/404 status is logged as a failed load: on_response sees the rest.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            journey.problems.append(f"{page.url}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            journey.problems.append(f"{page.url}: {response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: journey.problems.append(f"{page.url}: {exc}"))
    return ctx, journey


@pytest.fixture
def journey(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    """A desktop-sized tab (1280 by 900 CSS px) in a fresh context."""
    ctx, tab = open_journey(
        browser, live_server, _artefact_folder(request), viewport={"width": 1280, "height": 900}
    )
    try:
        yield tab
    finally:
        ctx.close()


@pytest.fixture
def no_js_journey(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    """A desktop-sized tab with JavaScript switched off (progressive enhancement)."""
    ctx, tab = open_journey(
        browser,
        live_server,
        _artefact_folder(request),
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
    )
    try:
        yield tab
    finally:
        ctx.close()


@pytest.fixture
def narrow_journey(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    """A 320 CSS px wide tab (WCAG 1.4.10 reflow), in a fresh context."""
    ctx, tab = open_journey(
        browser, live_server, _artefact_folder(request), viewport={"width": 320, "height": 640}
    )
    try:
        yield tab
    finally:
        ctx.close()


@pytest.fixture
def more_journeys(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Journey]]:
    """Open further tabs in fresh contexts (another user, or JavaScript off) during one test.

    ``more_journeys("member")`` gives a desktop-sized tab whose screenshots go to the test's
    artefact folder under ``member/``; keyword arguments go to ``browser.new_context``.
    """
    contexts: list[BrowserContext] = []
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    def open_more(label: str, **context: Any) -> Journey:
        folder = ARTIFACTS / name / re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        context.setdefault("viewport", {"width": 1280, "height": 900})
        ctx, tab = open_journey(browser, live_server, folder, **context)
        contexts.append(ctx)
        return tab

    try:
        yield open_more
    finally:
        for ctx in contexts:
            ctx.close()


def dump(value: object) -> str:
    """Compact JSON for assertion messages."""
    return json.dumps(value, default=str)[:2000]
