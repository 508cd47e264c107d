"""Fixture documents made in the test run: fact sheets, forms, a tagged PDF, a brand."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from assets_hub.branding.brand import Brand

LINK = "https://libraries.example.org.uk/reading-well"


def column_text(page: int, column: int) -> list[str]:
    """Deterministic, distinguishable lines for one column of one page."""
    return [f"Page {page} column {column} line {n}: libraries change lives." for n in range(12)]


def fact_sheet(pages: int = 10, *, size: tuple[float, float] = A4) -> bytes:
    """A two-column fact sheet: selectable text in both columns and an https link per page."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=1)
    width, height = size
    for page in range(1, pages + 1):
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(50, height - 60, f"Fact sheet page {page}")
        canvas.setFont("Helvetica", 9)
        for column in (0, 1):
            text = canvas.beginText(50 + column * (width / 2 - 20), height - 100)
            for line in column_text(page, column):
                text.textLine(line)
            canvas.drawText(text)
        canvas.drawString(50, height - 320, "Find out more online")
        canvas.linkURL(LINK, (50, height - 325, 200, height - 310), relative=0)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def form_pdf(names: tuple[str, ...] = ("library_name", "website", "phone", "other")) -> bytes:
    """One page with an AcroForm text field per name and a link."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(50, 800, "Visit your library")
    canvas.linkURL(LINK, (50, 795, 200, 812), relative=0)
    for index, name in enumerate(names):
        y = 700 - index * 40
        canvas.drawString(50, y + 5, f"{name}:")
        canvas.acroForm.textfield(
            name=name, x=160, y=y, width=300, height=20, borderWidth=0, value=""
        )
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def tagged(data: bytes) -> bytes:
    """``data`` made a (minimal) tagged PDF: MarkInfo, a StructTreeRoot with one /Document."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
        document = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=root)
        )
        root.K = pikepdf.Array([document])
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String("en-GB")
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def logo_png() -> bytes:
    image = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 760, 360), fill=(255, 255, 255, 255))
    draw.rectangle((300, 180, 500, 220), fill="red")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def brand() -> Brand:
    return Brand(
        "profile-1",
        1,
        primary="#1d3c6e",
        text="#ffd700",
        fields={
            "library_name": "Little Snoring Community Library",
            "website": "https://little-snoring.example.org.uk",
            "phone": "01234 567890",
            "email": "hello@little-snoring.example.org.uk",
            "address": "1 High Street\nLittle Snoring\nNR21 0AA",
            "opening_hours": "Mon–Fri 9–5, Sat 10–1",
        },
        logo=logo_png(),
        qr_url="https://little-snoring.example.org.uk/join",
    )
