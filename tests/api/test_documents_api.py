"""Fact sheets and case studies through the API: branded PDFs that stay real documents."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable

import docx
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assets_hub import db
from assets_hub.models import Rendition, Role
from assets_hub.settings import Settings
from tests.conftest import PUBLISHABLE, Crew, app_client, http_state


def fact_sheet(pages: int = 2) -> bytes:
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    for n in range(pages):
        sheet.drawString(72, 760, f"Libraries Week fact sheet page {n + 1}")
        sheet.drawString(72, 740, "Libraries lend more than books: laptops, tools and time.")
        sheet.linkURL("https://librariesweek.example.org", (72, 700, 300, 720))
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


@pytest.fixture
async def crew(make_settings: Callable[..., Settings]) -> AsyncIterator[Crew]:
    async with app_client(make_settings()) as http:
        c = Crew(http)
        await c.add("editor", Role.EDITOR)
        await c.add("admin", Role.LIBRARY_ADMIN, "leeds")
        await c.add("leeds", Role.LIBRARY_MEMBER, "leeds")
        created = await c.call(
            "admin",
            "POST",
            "/api/v1/libraries/leeds/profiles",
            json={
                "name": "Main",
                "primary": "#00703c",
                "library_name": "Leeds Central Library",
                "website": "https://leeds.example.org",
                "phone": "0113 378 5005",
            },
        )
        c.profile = created.json()["id"]  # type: ignore[attr-defined]
        yield c


async def test_fact_sheet_is_stamped_not_rebuilt(crew: Crew) -> None:
    original = fact_sheet()
    upload = await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        files={"file": ("facts.pdf", original, "application/pdf")},
        data={**PUBLISHABLE, "alt_text": ""},
    )
    assert upload.status_code == 201, upload.text
    asset = upload.json()
    assert asset["kind"] == "document" and asset["version"]["page_count"] == 2
    url = f"/api/v1/assets/{asset['id']}/render"
    params = {"format": "pdf", "profile": str(crew.profile)}  # type: ignore[attr-defined]
    branded = await crew.call("leeds", "GET", url, params=params)
    assert branded.status_code == 200, branded.text
    assert branded.headers["content-type"] == "application/pdf"
    pages = texts(branded.content)
    assert len(pages) == 2
    assert "Libraries lend more than books" in pages[0]  # the original text is still text
    assert "Leeds Central Library" in pages[-1]  # the stamp is real, extractable text
    assert len(branded.content) < len(original) + 200_000  # kilobytes, not megabytes
    again = await crew.call("leeds", "GET", url, params=params)
    assert again.headers["etag"] == branded.headers["etag"]
    with db.activate(http_state(crew.http).database):
        assert await Rendition.all().count() == 1

    outside = await crew.call(
        "editor",
        "PUT",
        f"/api/v1/assets/{asset['id']}/brand-zone",
        json={"pages": [5], "rect": None, "revision": asset["revision"]},
    )
    assert outside.status_code == 422
    zone = await crew.call(
        "editor",
        "PUT",
        f"/api/v1/assets/{asset['id']}/brand-zone",
        json={
            "pages": "first",
            "rect": {"x": 0.1, "y": 0.05, "width": 0.8, "height": 0.12},
            "revision": asset["revision"],
        },
    )
    assert zone.status_code == 200, zone.text
    moved = await crew.call("leeds", "GET", url, params=params)
    assert moved.headers["etag"] != branded.headers["etag"]
    assert "Leeds Central Library" in texts(moved.content)[0]
    no_profile = await crew.call("leeds", "GET", url, params={"format": "pdf"})
    assert no_profile.status_code == 400


async def test_case_study_page_pdf_docx_and_search(crew: Crew) -> None:
    created = await crew.call(
        "editor",
        "POST",
        "/api/v1/case-studies",
        json={
            "title": "Code club in Harehills",
            "library_featured": "Harehills Library",
            "summary": "Teenagers learned to program on Saturday mornings.",
            "body_markdown": "## What happened\n\nWe ran **twelve** sessions.\n\n"
            "<script>alert(1)</script>[click](javascript:alert(2))",
            "pull_quote": "I built my first game here",
            "pull_quote_by": "A participant",
            "figures": [{"label": "sessions", "value": "12"}],
            "licence": "own-work",
        },
    )
    assert created.status_code == 201, created.text
    study = created.json()
    html = study["case_study"]["html"]
    assert "<script>" not in html and 'href="javascript:' not in html  # shown as text only
    assert "<strong>twelve</strong>" in html
    asset_id = study["id"]
    await crew.call("editor", "POST", f"/api/v1/assets/{asset_id}/publish")
    found = await crew.call("leeds", "GET", "/api/v1/assets", params={"q": "sessions"})
    assert [hit["id"] for hit in found.json()["hits"]] == [asset_id]  # body text is indexed
    url = f"/api/v1/assets/{asset_id}/render"
    pdf = await crew.call(
        "leeds", "GET", url, params={"format": "pdf", "profile": str(crew.profile)}
    )  # type: ignore[attr-defined]
    assert pdf.status_code == 200, pdf.text
    assert "Leeds Central Library" in "".join(texts(pdf.content))
    word = await crew.call(
        "leeds", "GET", url, params={"format": "docx", "profile": str(crew.profile)}
    )  # type: ignore[attr-defined]
    assert word.status_code == 200
    document = docx.Document(io.BytesIO(word.content))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:  # the library's details may sit in headers or footers
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    parts += [cell.text for t in document.tables for r in t.rows for cell in r.cells]
    text = "\n".join(parts)
    assert "Code club in Harehills" in text
    assert "Leeds Central Library" in text


async def test_large_pdfs_get_their_member_copy_on_first_download(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assets_hub.services import ingest

    monkeypatch.setattr(ingest, "LAZY_STRIP_BYTES", 0)  # every PDF counts as large here
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    sheet.setAuthor("Secret Author Name")
    sheet.drawString(72, 760, "A fact sheet")
    sheet.save()
    upload = await crew.call(
        "editor",
        "POST",
        "/api/v1/assets",
        files={"file": ("f.pdf", out.getvalue(), "application/pdf")},
        data={**PUBLISHABLE, "alt_text": ""},
    )
    assert upload.status_code == 201, upload.text
    url = f"/api/v1/assets/{upload.json()['id']}/download"
    with db.activate(http_state(crew.http).database):
        from assets_hub.models import AssetVersion

        assert (await AssetVersion.get(asset_id=upload.json()["id"])).stripped_key is None
    member = await crew.call("leeds", "GET", url)
    assert member.status_code == 200
    assert b"Secret Author Name" not in member.content
    assert "A fact sheet" in texts(member.content)[0]
    editor = await crew.call("editor", "GET", url)
    assert b"Secret Author Name" in editor.content  # editors get the untouched original
    with db.activate(http_state(crew.http).database):
        version = await AssetVersion.get(asset_id=upload.json()["id"])
        assert version.stripped_key is not None  # made once, kept for the next download
