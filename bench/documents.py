"""Branded-document benchmark: stamping fact sheets, filling forms, rendering case studies.

    .venv/bin/python bench/documents.py            # 4- and 40-page sheets, 9 warm runs each
    .venv/bin/python bench/documents.py --runs 21

Fact sheets are generated here (two text columns, an https link and a 1600x1000 JPEG photo
per page, like a campaign PDF); the brand has a logo, six contact lines and a QR code. Timed:

* cold       a fresh Python process: imports + font registration + the first stamp_pdf call
             (the first download after a worker starts), measured inside the child process;
* warm       stamp_pdf again in a process that has stamped before (median, p95): what a
             cache miss costs a running worker, including the self-check (qpdf + pdfium);
* no-check   the same without the self-check (apply_stamp + save), to show its share;
* fill       brand_fact_sheet on a one-page form with six fields (fill, flatten, stamp);
* cached     a cache hit: the stored branded bytes read back from a local file (the lead
             caches by a deterministic key, so a repeat download never stamps again).

Sizes: input, output, and the growth a stamp adds (kilobytes: one shared Form XObject).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo_jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (1600, 1000), (40 + seed % 150, 90, 160))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1600, 40):  # detail, so the JPEG is a realistic ~100 KB, not 10 KB
        draw.line((i, 0, 1600 - i, 1000), fill=(255, (i * 7 + seed) % 255, 120), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def fact_sheet(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    width, height = A4
    for page in range(1, pages + 1):
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(50, height - 60, f"Reading Well fact sheet, page {page}")
        canvas.setFont("Helvetica", 9)
        for column in (0, 1):
            text = canvas.beginText(50 + column * (width / 2 - 20), height - 100)
            for n in range(40):
                text.textLine(f"Column {column} line {n}: libraries change lives, every day.")
            canvas.drawText(text)
        canvas.drawImage(ImageReader(io.BytesIO(photo_jpeg(page))), 50, 120, 495, 300)
        canvas.linkURL("https://example.org/reading-well", (50, 100, 250, 115), relative=0)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def brand() -> object:
    from assets_hub.branding.brand import Brand

    logo = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((40, 40, 760, 360), fill=(255, 255, 255, 255))
    buf = io.BytesIO()
    logo.save(buf, "PNG")
    return Brand(
        "bench",
        1,
        primary="#1d3c6e",
        text="#ffd700",
        fields={
            "library_name": "Little Snoring Community Library",
            "website": "https://little-snoring.example.org.uk",
            "phone": "01234 567890",
            "email": "hello@little-snoring.example.org.uk",
            "address": "1 High Street\nLittle Snoring\nNR21 0AA",
            "opening_hours": "Mon-Fri 9-5, Sat 10-1",
        },
        logo=buf.getvalue(),
        qr_url="https://little-snoring.example.org.uk/join",
    )


def timed(func: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def cold_child(path: str) -> None:
    """In a fresh process: imports + first stamp, printed as JSON milliseconds."""
    start = time.perf_counter()
    from assets_hub.documents.stamp import stamp_pdf
    from assets_hub.documents.zones import BrandZone

    imported = time.perf_counter()
    data = Path(path).read_bytes()
    the_brand = brand()
    begin = time.perf_counter()
    stamp_pdf(data, BrandZone("all"), the_brand)  # type: ignore[arg-type]
    end = time.perf_counter()
    print(json.dumps({"imports": (imported - start) * 1000, "first": (end - begin) * 1000}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cold-child")
    args = parser.parse_args()
    if args.cold_child:
        cold_child(args.cold_child)
        return

    import pikepdf

    from assets_hub.documents.forms import brand_fact_sheet
    from assets_hub.documents.stamp import apply_stamp, save_pdf, stamp_pdf
    from assets_hub.documents.zones import BrandZone

    the_brand = brand()
    print(f"{'document':<22}{'zone':<7}{'cold ms':>9}{'warm ms':>9}{'p95':>8}"
          f"{'no-check':>10}{'cached ms':>11}{'in KB':>9}{'out KB':>9}{'+KB':>7}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for pages in (4, 40):
            source = fact_sheet(pages)
            path = Path(tmp) / f"sheet{pages}.pdf"
            path.write_bytes(source)
            for label, zone in (("last", BrandZone("last")), ("all", BrandZone("all"))):
                cold = json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--cold-child", str(path)],
                        check=True,
                        capture_output=True,
                        text=True,
                        cwd=ROOT,
                    ).stdout
                )
                result = stamp_pdf(source, zone, the_brand)  # type: ignore[arg-type]

                def checked(z: BrandZone = zone, src: bytes = source) -> bytes:
                    return stamp_pdf(src, z, the_brand)  # type: ignore[arg-type]

                def unchecked(z: BrandZone = zone, src: bytes = source) -> bytes:
                    with pikepdf.open(io.BytesIO(src)) as pdf:
                        apply_stamp(pdf, z, the_brand)  # type: ignore[arg-type]
                        return save_pdf(pdf)

                warm, p95 = timed(checked, args.runs)
                bare, _ = timed(unchecked, args.runs)
                stored = Path(tmp) / f"branded-{pages}-{label}.pdf"
                stored.write_bytes(result)
                hit, _ = timed(stored.read_bytes, args.runs * 5)
                cold_ms = f"{cold['first']:.0f}" if label == "all" else "-"
                print(
                    f"{f'fact sheet {pages} pp':<22}{label:<7}{cold_ms:>9}{warm:>9.1f}"
                    f"{p95:>8.1f}{bare:>10.1f}{hit:>11.3f}{len(source) / 1024:>9.0f}"
                    f"{len(result) / 1024:>9.0f}{(len(result) - len(source)) / 1024:>7.1f}"
                )
        print(f"(cold = first stamp_pdf(all) in a fresh process; its imports took "
              f"{cold['imports']:.0f} ms more)")  # fmt: skip
        sys.path.insert(0, str(ROOT / "tests"))
        from tests.documents.conftest import form_pdf

        form = form_pdf(("library_name", "website", "phone", "email", "address", "other"))
        fill, fill95 = timed(
            lambda: brand_fact_sheet(form, the_brand, BrandZone("first")),  # type: ignore[arg-type]
            args.runs,
        )
        print(f"fill+flatten+stamp 1-page form: {fill:.1f} ms (p95 {fill95:.1f})")
        bench_case_study(the_brand, args.runs)


def bench_case_study(the_brand: object, runs: int) -> None:
    from assets_hub.documents.casestudy import CaseImage, CaseStudy, OutcomeFigure
    from assets_hub.documents.casestudy_docx import casestudy_docx
    from assets_hub.documents.casestudy_html import casestudy_html
    from assets_hub.documents.casestudy_pdf import casestudy_pdf

    body = "\n\n".join(
        f"## Part {n}\n\nThe library ran **rhyme time** sessions and [more](https://example.org). "
        * 3
        for n in range(8)
    )
    study = CaseStudy(
        "Rhyme time doubles members",
        "Little Snoring Community Library",
        "How a small library doubled its members in a year.",
        body,
        pull_quote="It changed how we use the library.",
        pull_quote_by="A parent",
        figures=(OutcomeFigure("new members", "1,240"), OutcomeFigure("more loans", "35%")),
        images=(CaseImage(photo_jpeg(1), "Children at rhyme time", "Rhyme time"),),
    )
    for name, func in (
        ("html", lambda: casestudy_html(study, ["/img/1"])),
        ("pdf", lambda: casestudy_pdf(study, the_brand)),  # type: ignore[arg-type]
        ("docx", lambda: casestudy_docx(study, the_brand)),  # type: ignore[arg-type]
    ):
        median, p95 = timed(func, runs)
        size = len(func().encode() if name == "html" else func())  # type: ignore[attr-defined]
        print(f"case study {name:<5} {median:8.1f} ms (p95 {p95:.1f})  {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
