"""Rendition benchmark: the branded render engine against a naive Pillow pipeline (and thumbor).

    .venv/bin/python bench/render.py                 # all photos, 15 runs per preset
    .venv/bin/python bench/render.py --runs 5 --no-thumbor
    .venv/bin/python bench/render.py --thumbor-venv var/thumbor-venv  # make bench installs it

For every photo in ../shared/bench-data/photos and a mix of presets, each run times, back to
back so machine noise hits all of them alike:

* naive        full decode of the original, EXIF transpose, crop, LANCZOS resize, draw the
               overlay (band, logo, two text lines, QR) with plain Pillow calls, JPEG encode;
* original     render() from the original bytes, overlay cache cleared (cold);
* master       render() from the working master's bytes (made by assets_hub.media.inspect),
               overlay cache cleared (cold);
* master-px    render() from the decoded master (what a small decoded-master cache gives),
               overlay cache cleared (cold);
* master-warm  render() from the master bytes, focal point set, overlay layer already cached
               (the steady state: the library already downloaded another asset at this
               preset, the editors set a focal point);
* mpx-warm     the same from the decoded master;
* preview      render(preview=True) from the master bytes, ~600 px, overlay cache cleared;
* floor-orig   reference: drafted decode of the original + encode, no resize, no overlay;
* floor-mpx    reference: decoded master, one bicubic crop+resize + encode, no overlay.

With thumbor (installed in its own venv, never a project dependency) it also runs the same
unbranded crop+resize+logo job through thumbor's HTTP server on 127.0.0.1 (watermark filter)
against render() with a logo-only template, from the original and from the master.

Through the HTTP API (the app in-process over httpx's ASGITransport, SQLite and local storage
in a temp dir; skip with --no-api): an editor uploads the photo, a library admin makes a
profile with a logo, a member renders each preset once, then

* api-warm     GET of the already stored rendition (streamed from local storage with ETag);
* api-304      the same GET with If-None-Match (what a browser that has it sends);

and 200 concurrent GETs of one unrendered rendition, counting calls of
``assets_hub.services.rendering.render_now`` (must be exactly 1).

Prints median and p95 per rendition, each median as a fraction of naive's, and a PASS/FAIL
line per target of issue 6.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import PIL
import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets_hub.branding.brand import Brand  # noqa: E402
from assets_hub.branding.compositor import clear_overlay_cache  # noqa: E402
from assets_hub.branding.fonts import font_path  # noqa: E402
from assets_hub.branding.overlays import parse_template  # noqa: E402
from assets_hub.branding.presets import PRESETS  # noqa: E402
from assets_hub.media.geometry import Focus, cover_crop  # noqa: E402
from assets_hub.media.inspect import Limits, inspect_file  # noqa: E402
from assets_hub.media.operations import decode_master  # noqa: E402
from assets_hub.media.renditions import RenderRequest, render  # noqa: E402
from assets_hub.media.sniff import sniff  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "bench-data" / "photos"
MIX = ["instagram-square", "instagram-portrait", "story", "facebook-link", "web-banner"]
NAME = "Little Snoring-on-the-Marsh Community Library & Information!"
URL = "https://library.example.org.uk/events/summer-reading"
CENTRE = Focus(0.5, 0.5)
LOGO_ONLY = parse_template(
    {
        "schema": 1,
        "name": "logo only",
        "logo": {"region": "frame", "box": [0.78, 0.84, 0.2, 0.14], "anchor": "right"},
    }
)


def make_logo() -> bytes:
    image = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 40, 760, 360), 60, fill=(255, 255, 255, 255))
    draw.rectangle((200, 170, 600, 230), fill=(200, 30, 30, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_brand(logo: bytes) -> Brand:
    return Brand(
        "bench",
        1,
        primary="#1d3c6e",
        text="#ffd700",
        fields={
            "library_name": NAME,
            "website": "https://library.example.org.uk",
            "phone": "01234 567890",
            "email": "hello@library.example.org.uk",
        },
        logo=logo,
        qr_url=URL,
    )


def naive(original: bytes, logo: bytes, size: tuple[int, int]) -> bytes:
    """What a straightforward Pillow script does: no draft, LANCZOS, draw everything, encode."""
    opened = Image.open(io.BytesIO(original))
    opened.load()
    image = ImageOps.exif_transpose(opened).convert("RGB")
    left, top, right, bottom = (round(v) for v in cover_crop(image.size, size, None).box())
    image = image.crop((left, top, right, bottom)).resize(size, Image.Resampling.LANCZOS)
    w, h = size
    band = round(0.24 * min(w, h))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, h - band, w, h), fill=(0x1D, 0x3C, 0x6E))
    mark = Image.open(io.BytesIO(logo)).convert("RGBA")
    mark.thumbnail((round(w * 0.18), round(band * 0.7)), Image.Resampling.LANCZOS)
    image.paste(mark, (round(w * 0.03), h - band + (band - mark.height) // 2), mark)
    bold = ImageFont.truetype(str(font_path("sans", bold=True)), max(12, band // 6))
    regular = ImageFont.truetype(str(font_path("sans")), max(10, band // 9))
    draw.text((round(w * 0.25), h - band + band // 8), NAME[:34], font=bold, fill="#ffd700")
    draw.text((round(w * 0.25), h - band + band // 2), "library.example.org.uk", font=regular)
    buffer = io.BytesIO()
    segno.make(URL, error="m").save(buffer, kind="png", scale=3, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    image.paste(qr, (w - qr.width - 10, h - band + (band - qr.height) // 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def floor_original(original: bytes, size: tuple[int, int]) -> bytes:
    """The JPEG floor from the original: drafted decode and encode only (no resize work)."""
    image = Image.open(io.BytesIO(original))
    image.draft("RGB", size)
    crop = cover_crop(image.size, size, None)
    out = io.BytesIO()
    image.resize(size, Image.Resampling.NEAREST, box=crop.box()).save(out, "JPEG", quality=85)
    return out.getvalue()


def floor_master(decoded: Image.Image, size: tuple[int, int]) -> bytes:
    """The floor from a decoded master: one bicubic crop+resize and an encode, nothing else."""
    crop = cover_crop(decoded.size, size, None)
    out = io.BytesIO()
    resized = decoded.resize(size, Image.Resampling.BICUBIC, box=crop.box())
    resized.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(title: str, results: dict[str, list[float]], baseline: str) -> None:
    base = statistics.median(results[baseline])
    print(f"\n{title}")
    print(f"  {'pipeline':<14}{'n':>5}{'median ms':>12}{'p95 ms':>10}{'÷ ' + baseline:>14}")
    for name, values in results.items():
        median = statistics.median(values)
        print(
            f"  {name:<14}{len(values):>5}{median:>12.1f}{p95(values):>10.1f}{median / base:>14.2f}"
        )


def make_master(original: bytes) -> bytes:
    limits = Limits(max_pixels=100_000_000, max_side_px=20_000, max_frames=1, max_pdf_pages=1)
    found = inspect_file(io.BytesIO(original), sniff(original[:32]), limits)
    assert found.master is not None
    return found.master


def ingest_costs(photo: Path, runs: int) -> tuple[float, float]:
    """Median ms of the whole ingest inspection (validation, master, previews, hashes,
    subject detection) and, within it, of the subject detection (issue 15)."""
    original = photo.read_bytes()
    limits = Limits(max_pixels=100_000_000, max_side_px=20_000, max_frames=1, max_pdf_pages=1)
    totals: list[float] = []
    detections: list[float] = []
    inspect_file(io.BytesIO(original), sniff(original[:32]), limits)  # warm-up: loads OpenCV
    for _ in range(max(3, runs // 3)):
        started = time.perf_counter()
        found = inspect_file(io.BytesIO(original), sniff(original[:32]), limits)
        totals.append((time.perf_counter() - started) * 1000)
        detections.append(found.detect_ms or 0.0)
    ingest, detect = statistics.median(totals), statistics.median(detections)
    kind = (found.subject or {}).get("kind")
    print(
        f"\n{photo.name}: ingest inspection median {ingest:.0f} ms, of which subject detection "
        f"({kind}) median {detect:.0f} ms (p95 {p95(detections):.0f} ms)"
    )
    return ingest, detect


def branded(photo: Path, runs: int) -> dict[str, list[float]]:
    original = photo.read_bytes()
    master = make_master(original)
    decoded = decode_master(master)
    logo = make_logo()
    brand = make_brand(logo)
    fields = {"event_title": "Summer Reading Challenge", "event_date": "Sat 12 July"}
    results: dict[str, list[float]] = {
        k: []
        for k in (
            "naive",
            "original",
            "master",
            "master-px",
            "master-warm",
            "mpx-warm",
            "preview",
            "floor-orig",
            "floor-mpx",
        )
    }

    def ours(
        source: bytes | Image.Image,
        key: str,
        *,
        cold: bool = True,
        focus: Focus | None = None,
        preview: bool = False,
    ) -> float:
        if cold:
            clear_overlay_cache()
        request = RenderRequest(
            source,
            "bench",
            PRESETS[key],
            brand=brand,
            local_fields=fields,
            focus=focus,
            preview=preview,
        )
        return timed(lambda: render(request))

    for key in MIX:  # warm-up: imports, font files, first-call costs
        ours(master, key)
        naive(original, logo, (PRESETS[key].width, PRESETS[key].height))
    for _ in range(runs):
        for key in MIX:
            size = (PRESETS[key].width, PRESETS[key].height)
            results["naive"].append(timed(lambda size=size: naive(original, logo, size)))  # type: ignore[misc]
            results["original"].append(ours(original, key))
            results["master"].append(ours(master, key))
            results["master-px"].append(ours(decoded, key))
            results["master-warm"].append(ours(master, key, cold=False, focus=CENTRE))
            results["mpx-warm"].append(ours(decoded, key, cold=False, focus=CENTRE))
            results["preview"].append(ours(master, key, preview=True))
            results["floor-orig"].append(timed(lambda size=size: floor_original(original, size)))  # type: ignore[misc]
            results["floor-mpx"].append(timed(lambda size=size: floor_master(decoded, size)))  # type: ignore[misc]
    with Image.open(io.BytesIO(original)) as im:
        dims = f"{im.width}×{im.height}"
    report(
        f"{photo.name} ({dims}, {len(original):,} bytes; master {decoded.width}×{decoded.height},"
        f" {len(master):,} bytes) — branded, presets: {', '.join(MIX)}",
        results,
        "naive",
    )
    bluesky = render(RenderRequest(original, "bench", PRESETS["bluesky"], brand=brand))
    print(
        f"  bluesky 2000×2000 from the original: {len(bluesky.data):,} bytes at quality "
        f"{bluesky.quality}, budget met: {bluesky.budget_met}"
    )
    return results


# --- through the HTTP API ---------------------------------------------------------------------


async def _http_runs(photo: Path, runs: int, logo: bytes) -> tuple[dict[str, list[float]], str]:
    """Warm GETs of stored renditions, then 200 concurrent GETs of one unrendered rendition."""
    import asyncio

    import httpx
    from asgi_lifespan import LifespanManager

    from assets_hub import db
    from assets_hub.app import create_app
    from assets_hub.auth import tokens
    from assets_hub.models import Role
    from assets_hub.services import accounts, rendering
    from assets_hub.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        database = f"sqlite://{root / 'db.sqlite3'}"
        await db.migrate(database)
        settings = Settings(
            database_url=database,
            storage_url=f"file://{root / 'storage'}",
            search_url=f"embedded://{root / 'search'}",
            tmp_dir=str(root / "tmp"),
        )
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=60) as manager:
            backends = manager._state["backends"]
            auth: dict[Role, dict[str, str]] = {}
            with db.activate(backends.database):
                library = await accounts.create_library("Bench Library", "bench")
                for role in (Role.EDITOR, Role.LIBRARY_ADMIN, Role.LIBRARY_MEMBER):
                    lib = None if role is Role.EDITOR else library
                    user = await accounts.create_user(f"{role.value}@example.org", role, lib)
                    token, _ = await tokens.create_token(user, "bench", None)
                    auth[role] = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://testserver", timeout=600
            ) as http:
                upload = await http.post(
                    "/api/v1/assets",
                    headers=auth[Role.EDITOR],
                    data={"alt_text": "A bus.", "licence": "cc0", "status": "published"},
                    files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
                )
                assert upload.status_code == 201, upload.text
                asset = upload.json()["id"]
                profile = await http.post(
                    "/api/v1/libraries/bench/profiles",
                    headers=auth[Role.LIBRARY_ADMIN],
                    json={
                        "name": "Main",
                        "primary": "#1d3c6e",
                        "text": "#ffd700",
                        "library_name": NAME,
                        "website": "https://library.example.org.uk",
                    },
                )
                assert profile.status_code == 201, profile.text
                profile_id = profile.json()["id"]
                put = await http.put(
                    f"/api/v1/profiles/{profile_id}/logo",
                    headers=auth[Role.LIBRARY_ADMIN],
                    files={"file": ("logo.png", logo, "image/png")},
                )
                assert put.status_code == 200, put.text
                url = f"/api/v1/assets/{asset}/render"
                member = auth[Role.LIBRARY_MEMBER]
                results: dict[str, list[float]] = {"api-warm": [], "api-304": []}
                for key in MIX:  # render (and store) each rendition once
                    first = await http.get(
                        url, headers=member, params={"preset": key, "profile": profile_id}
                    )
                    assert first.status_code == 200, first.text
                for _ in range(runs):
                    for key in MIX:
                        params = {"preset": key, "profile": profile_id}
                        started = time.perf_counter()
                        response = await http.get(url, headers=member, params=params)
                        body = response.content
                        results["api-warm"].append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200 and body, response.text
                        etag = {"If-None-Match": response.headers["etag"]}
                        started = time.perf_counter()
                        again = await http.get(url, headers={**member, **etag}, params=params)
                        results["api-304"].append((time.perf_counter() - started) * 1000)
                        assert again.status_code == 304

                renders = 0
                real = rendering.render_now

                async def counting(*args: object, **kwargs: object) -> object:
                    nonlocal renders
                    renders += 1
                    return await real(*args, **kwargs)  # type: ignore[arg-type]

                rendering.render_now = counting  # type: ignore[assignment]
                try:
                    params = {"preset": "instagram-tall", "profile": profile_id}
                    started = time.perf_counter()
                    responses = await asyncio.gather(
                        *(http.get(url, headers=member, params=params) for _ in range(200))
                    )
                    wall = (time.perf_counter() - started) * 1000
                finally:
                    rendering.render_now = real
                statuses = sorted({r.status_code for r in responses})
                same = len({r.content for r in responses}) == 1
                line = (
                    f"  200 concurrent GETs of one unrendered rendition: {renders} render(s), "
                    f"statuses {statuses}, identical bodies: {same}, wall {wall:.0f} ms"
                    f" — {'PASS' if renders == 1 and statuses == [200] and same else 'FAIL'}"
                )
                return results, line


def through_api(photo: Path, runs: int, naive_median: float) -> tuple[float, bool]:
    """Print warm-request timings against naive; returns (warm ÷ naive, single render ok)."""
    import asyncio

    results, line = asyncio.run(_http_runs(photo, runs, make_logo()))
    print(f"\n{photo.name} — through the HTTP API (in-process ASGI, local storage, {MIX[0]}…)")
    print(f"  {'pipeline':<14}{'n':>5}{'median ms':>12}{'p95 ms':>10}{'÷ naive':>14}")
    print(f"  {'naive':<14}{'':>5}{naive_median:>12.1f}{'':>10}{1.0:>14.2f}")
    for name, values in results.items():
        median = statistics.median(values)
        print(
            f"  {name:<14}{len(values):>5}{median:>12.1f}{p95(values):>10.1f}"
            f"{median / naive_median:>14.3f}"
        )
    print(line)
    return statistics.median(results["api-warm"]) / naive_median, line.endswith("PASS")


# --- thumbor ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_thumbor(venv: Path, root: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = root / "thumbor.conf"
    conf.write_text(
        "\n".join(
            [
                "LOADER = 'thumbor.loaders.file_loader'",
                f"FILE_LOADER_ROOT_PATH = {str(root)!r}",
                "STORAGE = 'thumbor.storages.no_storage'",
                "RESULT_STORAGE = 'thumbor.result_storages.no_storage'",
                "ALLOW_UNSAFE_URL = True",
                "QUALITY = 85",
                "RESPECT_ORIENTATION = True",
                "PRESERVE_EXIF_INFO = False",
                "AUTO_WEBP = False",
                "MAX_AGE = 0",
                "FILTERS = ['thumbor.filters.watermark']",
            ]
        )
    )
    process = subprocess.Popen(
        [str(venv / "bin" / "thumbor"), "--ip=127.0.0.1", f"--port={port}", f"--conf={conf}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthcheck", timeout=1).read()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("thumbor did not start")


def versus_thumbor(photo: Path, runs: int, venv: Path) -> dict[str, list[float]]:
    original = photo.read_bytes()
    master = make_master(original)
    logo = make_logo()
    brand = Brand("bench-logo", 1, primary="#1d3c6e", logo=logo)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "photo.jpg").write_bytes(original)
        (root / "logo.png").write_bytes(logo)
        process, port = start_thumbor(venv, root)
        try:
            results: dict[str, list[float]] = {"thumbor": [], "original": [], "master": []}
            for i in range(runs + 1):
                for key in MIX:
                    p = PRESETS[key]
                    # Watermark at the bottom right, 20% of the width: the same job as LOGO_ONLY.
                    url = (
                        f"http://127.0.0.1:{port}/unsafe/{p.width}x{p.height}/"
                        f"filters:watermark(logo.png,-20,-20,0,20)/photo.jpg"
                    )
                    t_thumbor = timed(lambda url=url: urllib.request.urlopen(url).read())  # type: ignore[misc]  # noqa: S310
                    clear_overlay_cache()
                    # Centre crop, as thumbor does without its (OpenCV) smart detectors.
                    req = RenderRequest(
                        original, "b", p, brand=brand, template=LOGO_ONLY, focus=CENTRE
                    )
                    t_orig = timed(lambda req=req: render(req))  # type: ignore[misc]
                    clear_overlay_cache()
                    req = RenderRequest(
                        master, "b", p, brand=brand, template=LOGO_ONLY, focus=CENTRE
                    )
                    t_master = timed(lambda req=req: render(req))  # type: ignore[misc]
                    if i:  # the first round warms both up
                        results["thumbor"].append(t_thumbor)
                        results["original"].append(t_orig)
                        results["master"].append(t_master)
        finally:
            process.terminate()
            process.wait(timeout=10)
    report(
        f"{photo.name} — unbranded crop+resize+logo vs thumbor (HTTP, 127.0.0.1)",
        results,
        "thumbor",
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="runs per preset (default 15)")
    parser.add_argument("--thumbor-venv", type=Path, default=Path("var/thumbor-venv"))
    parser.add_argument("--no-thumbor", action="store_true")
    parser.add_argument("--no-api", action="store_true", help="skip the HTTP API measurements")
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="folder of bench photos")
    args = parser.parse_args()
    photos = sorted(args.photos.glob("*.jpg"))
    print(
        f"python {sys.version.split()[0]}, Pillow {PIL.__version__}, {os.cpu_count()} CPUs, "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    verdicts: list[tuple[str, str, bool]] = []
    for photo in photos:
        _ingest, detect = ingest_costs(photo, args.runs)
        ok = detect <= 150
        verdicts.append((f"{photo.name}: subject detection ≤ 150 ms", f"{detect:.0f} ms", ok))
        found = branded(photo, args.runs)
        naive_ms = statistics.median(found["naive"])
        for name, row, limit in (
            ("cold from master ≤ 1/5 naive", "master", 1 / 5),
            ("cold from original ≤ 1/3 naive", "original", 1 / 3),
        ):
            ratio = statistics.median(found[row]) / naive_ms
            verdicts.append((f"{photo.name}: {name}", f"{ratio:.2f}", ratio <= limit))
        worst = p95(found["preview"])
        verdicts.append((f"{photo.name}: preview p95 < 100 ms", f"{worst:.0f} ms", worst < 100))
        if not args.no_api:
            warm, single = through_api(photo, args.runs, naive_ms)
            verdicts.append((f"{photo.name}: warm API ≤ 1/50 naive", f"{warm:.3f}", warm <= 1 / 50))
            verdicts.append((f"{photo.name}: 200 concurrent → 1 render", "", single))
    thumbor = args.thumbor_venv / "bin" / "thumbor"
    if args.no_thumbor:
        pass
    elif not thumbor.exists():
        print(
            f"\nthumbor: not run ({thumbor} missing; `make bench` installs it in var/thumbor-venv)"
        )
    else:
        for photo in photos:
            found = versus_thumbor(photo, args.runs, args.thumbor_venv)
            base = statistics.median(found["thumbor"])
            for row in ("original", "master"):
                speedup = base / statistics.median(found[row])
                verdicts.append(
                    (f"{photo.name}: ≥ 3× thumbor ({row})", f"{speedup:.1f}×", speedup >= 3)
                )
    print("\ntargets (issues 6 and 15)")
    for name, value, ok in verdicts:
        print(f"  {name:<52}{value:>10}  {'PASS' if ok else 'FAIL'}")
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
