"""PDF scanning (SECURITY 4.4 PDF-01..06, IMG-12); every fixture is built here, none checked in."""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

from assets_hub.errors import Unprocessable
from assets_hub.media import pdfscan
from assets_hub.media.inspect import Limits, inspect_file
from assets_hub.media.pdfscan import TEXT_LIMIT_CHARS, scan_pdf
from assets_hub.media.sniff import PDF

LIMITS = Limits(max_pixels=50_000_000, max_side_px=12_000, max_frames=1000, max_pdf_pages=500)


def _save(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def _document(pages: int = 2, edit: Callable[[pikepdf.Pdf], None] | None = None) -> pikepdf.Pdf:
    """A small fact sheet: ``pages`` pages of Helvetica text, an https link on page 1."""
    pdf = pikepdf.new()
    for number in range(1, pages + 1):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        helvetica = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        page.Resources = Dictionary(Font=Dictionary(F1=helvetica))
        text = f"BT /F1 14 Tf 72 760 Td (Library fact sheet page {number}) Tj ET"
        page.Contents = pdf.make_stream(text.encode())
    link = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=Array([72, 700, 300, 720]),
        Border=Array([0, 0, 0]),
        A=Dictionary(S=Name.URI, URI=String("https://www.example.org/libraries")),
    )
    pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(link)]))
    if edit is not None:
        edit(pdf)
    return pdf


def _raw_pdf(*bodies: bytes) -> bytes:
    """A hand-written PDF whose objects are ``bodies`` (1 0 obj is the catalog), correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << >> >>"


def _refusal(data: bytes) -> str:
    with pytest.raises(Unprocessable) as caught:
        scan_pdf(data, max_pages=500)
    assert caught.value.status_code == 422
    return caught.value.message


# --- accepted ---------------------------------------------------------------------------------


def test_ordinary_two_page_fact_sheet_with_https_link_is_accepted() -> None:
    report = scan_pdf(_save(_document()), max_pages=500)
    assert report.page_count == 2
    assert "Library fact sheet page 1" in report.text
    assert "Library fact sheet page 2" in report.text


def test_inspect_file_reports_pages_text_and_previews() -> None:
    inspection = inspect_file(io.BytesIO(_save(_document())), PDF, LIMITS)
    assert inspection.page_count == 2
    assert inspection.text is not None and "page 2" in inspection.text
    assert (inspection.width, inspection.height) == (595, 842)
    assert inspection.orientation == "portrait"
    assert inspection.master is None
    for data, bound in ((inspection.thumbnail, 400), (inspection.preview, 1200)):
        assert data is not None
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "WEBP"
            assert max(image.size) == bound


def test_text_is_capped() -> None:
    def long_text(pdf: pikepdf.Pdf) -> None:
        line = b"(" + b"x" * 200 + b") Tj T* "
        pdf.pages[0].Contents = pdf.make_stream(b"BT /F1 4 Tf 10 TL 0 830 Td " + line * 700 + b"ET")

    report = scan_pdf(_save(_document(pages=3, edit=long_text)), max_pages=500)
    assert len(report.text) <= TEXT_LIMIT_CHARS
    assert len(report.text) > 50_000


def test_too_many_pages_refused_with_the_limit() -> None:
    with pytest.raises(Unprocessable, match="at most 2 pages"):
        scan_pdf(_save(_document(pages=3)), max_pages=2)


def test_user_unit_monster_page_previews_small_and_fast() -> None:
    def huge(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.MediaBox = Array([0, 0, 14400, 14400])
        page.UserUnit = 75000

    data = _save(_document(pages=1, edit=huge))
    started = time.monotonic()
    inspection = inspect_file(io.BytesIO(data), PDF, LIMITS)
    assert time.monotonic() - started < 5
    assert inspection.preview is not None
    with Image.open(io.BytesIO(inspection.preview)) as preview:
        assert max(preview.size) <= 2048


# --- active content ---------------------------------------------------------------------------


def _open_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))


def _names_js(pdf: pikepdf.Pdf) -> None:
    action = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert(2)")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("a"), action])))


def _page_aa_js(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("app.alert(3)")))


def _annotation_js(pdf: pikepdf.Pdf) -> None:
    link = pdf.pages[0].Annots[0]
    link.A = Dictionary(S=Name.JavaScript, JS=String("app.alert(4)"))


def _launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("C:\\Windows\\calc.exe"))


def _unc_goto_r(pdf: pikepdf.Pdf) -> None:
    link = pdf.pages[0].Annots[0]
    link.A = Dictionary(S=Name.GoToR, F=String("\\\\attacker\\share\\x.pdf"), D=Array([0]))


@pytest.mark.parametrize(
    "edit",
    [_open_action_js, _names_js, _page_aa_js, _annotation_js],
    ids=["open-action", "names-tree", "page-aa", "annotation"],
)
def test_javascript_anywhere_is_refused(edit: Callable[[pikepdf.Pdf], None]) -> None:
    assert "JavaScript" in _refusal(_save(_document(edit=edit)))


@pytest.mark.parametrize("edit", [_launch, _unc_goto_r], ids=["launch", "goto-remote"])
def test_actions_reaching_outside_are_refused(edit: Callable[[pikepdf.Pdf], None]) -> None:
    message = _refusal(_save(_document(edit=edit)))
    assert "active content" in message


def _link_to(uri: str) -> Callable[[pikepdf.Pdf], None]:
    def edit(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Annots[0].A.URI = String(uri)

    return edit


@pytest.mark.parametrize(
    "uri", ["javascript:app.alert(1)", " JaVa\tScript:alert(1)", "file:///C:/x.exe", "\\\\h\\s"]
)
def test_links_that_are_not_web_addresses_are_refused(uri: str) -> None:
    assert "active content" in _refusal(_save(_document(edit=_link_to(uri))))


@pytest.mark.parametrize("uri", ["mailto:info@example.org", "www.example.org/page", "tel:+441234"])
def test_mail_phone_and_relative_links_are_fine(uri: str) -> None:
    assert scan_pdf(_save(_document(edit=_link_to(uri))), max_pages=500).page_count == 2


def test_hex_escaped_javascript_name_is_refused() -> None:
    data = _raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE,
        b"<< /S /J#61va#53cript /J#53 (app.alert\\(5\\)) >>",
    )
    assert b"/JavaScript" not in data and b"/JS " not in data
    assert "JavaScript" in _refusal(data)


def test_javascript_inside_a_compressed_object_stream_is_refused() -> None:
    pdf = _document()
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(S=Name.JavaScript, JS=String("app.alert(6)"))
    )
    data = _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    assert b"JavaScript" not in data  # only visible after inflating the object stream
    assert "JavaScript" in _refusal(data)


def test_embedded_file_is_refused() -> None:
    def attach(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00")

    assert "attachments" in _refusal(_save(_document(edit=attach)))


# --- encryption and damage --------------------------------------------------------------------


def test_object_budget_bounds_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfscan, "MAX_NODES", 10)
    assert "too many objects" in _refusal(_save(_document()))


@pytest.mark.parametrize("user", ["secret", ""], ids=["user-password", "owner-only"])
def test_encrypted_pdf_is_refused(user: str) -> None:
    data = _save(_document(), encryption=pikepdf.Encryption(owner="owner-pw", user=user))
    assert _refusal(data) == "Password-protected PDFs are not accepted."


def test_garbage_after_header_is_damaged() -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 64
    assert "damaged" in _refusal(data)


def test_truncated_pdf_is_damaged() -> None:
    data = _save(_document())
    assert "damaged" in _refusal(data[: len(data) // 2])


def test_html_then_pdf_is_refused() -> None:
    data = b"<html><script>alert(1)</script></html>\n" + _save(_document())
    assert "%PDF-" in _refusal(data)


def test_page_tree_cycle_is_damaged() -> None:
    data = _raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        _PAGE,
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    )
    assert "damaged" in _refusal(data)


def test_deeply_nested_arrays_are_damaged_not_a_crash() -> None:
    depth = 100_000
    data = _raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Junk 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE,
        b"[" * depth + b"]" * depth,
    )
    started = time.monotonic()
    assert "damaged" in _refusal(data)
    assert time.monotonic() - started < 5


def test_refusals_happen_at_inspection() -> None:
    data = _save(_document(edit=_open_action_js))
    with pytest.raises(Unprocessable, match="JavaScript"):
        inspect_file(io.BytesIO(data), PDF, LIMITS)


# --- reading in place (memory stays flat whatever the size) -------------------------------


def _spooled(data: bytes, *, rolled: bool) -> tempfile.SpooledTemporaryFile[bytes]:
    spooled = tempfile.SpooledTemporaryFile(max_size=1 << 20)
    spooled.write(data)
    if rolled:
        spooled.rollover()
    spooled.seek(0)
    return spooled


@pytest.mark.parametrize("kind", ["bytes", "path", "str", "file", "spooled", "spooled-on-disk"])
def test_every_kind_of_source_gives_the_same_report(kind: str, tmp_path: Path) -> None:
    data = _save(_document(pages=3))
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    with contextlib.ExitStack() as stack:
        source: pdfscan.PdfSource = {
            "bytes": lambda: data,
            "path": lambda: path,
            "str": lambda: str(path),
            "file": lambda: stack.enter_context(open(path, "rb")),
            "spooled": lambda: stack.enter_context(_spooled(data, rolled=False)),
            "spooled-on-disk": lambda: stack.enter_context(_spooled(data, rolled=True)),
        }[kind]()
        report = scan_pdf(source, max_pages=500)
        if not isinstance(source, (bytes, str, Path)):
            assert not source.closed  # the caller's file stays open
    assert report.page_count == 3
    assert "page 3" in report.text


def test_refusals_are_the_same_from_a_file() -> None:
    data = _save(_document(edit=_open_action_js))
    with _spooled(data, rolled=True) as spooled, pytest.raises(Unprocessable, match="JavaScript"):
        scan_pdf(spooled, max_pages=500)
    with _spooled(b"<html>" + data, rolled=True) as spooled, pytest.raises(Unprocessable) as caught:
        scan_pdf(spooled, max_pages=500)
    assert "%PDF-" in caught.value.message


def test_inspect_file_reads_a_spooled_file_on_disk_in_place() -> None:
    data = _save(_document())
    with _spooled(data, rolled=True) as spooled:
        inspection = inspect_file(spooled, PDF, LIMITS)
    assert inspection == inspect_file(io.BytesIO(data), PDF, LIMITS)


def test_large_documents_are_reopened_per_page_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _save(_document(pages=4))
    expected = scan_pdf(data, max_pages=500)
    opened: list[object] = []
    real_open = pdfscan._open_pdfium

    def counting_open(source: pdfscan.PdfSource) -> object:
        opened.append(source)
        return real_open(source)

    monkeypatch.setattr(pdfscan, "_open_pdfium", counting_open)
    monkeypatch.setattr(pdfscan, "REOPEN_ABOVE_BYTES", 0)
    with _spooled(data, rolled=True) as spooled:
        assert scan_pdf(spooled, max_pages=500) == expected
    assert len(opened) == 4
    with pytest.raises(Unprocessable, match="at most 3 pages"):
        scan_pdf(data, max_pages=3)


def _image_pages_pdf(path: Path, images: int) -> None:
    """``images`` pages each showing a 16 MiB grey image of random pixels (stored Flate)."""
    pdf = pikepdf.new()
    side = 4096
    for number in range(images):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        pixels = random.Random(number).randbytes(side * side)
        image = pikepdf.Stream(pdf, zlib.compress(pixels, 0))
        image.Type, image.Subtype, image.Filter = Name.XObject, Name.Image, Name.FlateDecode
        image.Width, image.Height, image.BitsPerComponent = side, side, 8
        image.ColorSpace = Name.DeviceGray
        page.Resources = Dictionary(XObject=Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 500 0 0 500 47 171 cm /Im0 Do Q")
    pdf.docinfo["/Author"] = "Author Name"
    pdf.save(path)


def test_a_large_pdf_is_checked_and_stripped_without_reading_it_into_memory(
    tmp_path: Path,
) -> None:
    """128 MiB of images: peak RSS grows by what one page takes, not by the file's size.

    (Reading the file into memory, as before, grew it by about 190 MiB.)
    """
    path = tmp_path / "large.pdf"
    _image_pages_pdf(path, 8)
    assert path.stat().st_size > 128 * 2**20
    script = (
        "import json, sys\n"
        "from assets_hub.media.inspect import Limits, inspect_file\n"
        "from assets_hub.media.sniff import PDF\n"
        "from assets_hub.media.strip import stripped_to_temp\n"
        "limits = Limits(50_000_000, 12_000, 1000, 500)\n"
        "def peak_kib():  # VmHWM starts afresh at exec, unlike ru_maxrss\n"
        "    with open('/proc/self/status') as status:\n"
        "        return next(int(l.split()[1]) for l in status if l.startswith('VmHWM'))\n"
        "before = peak_kib()\n"
        "with open(sys.argv[1], 'rb') as upload:\n"
        "    inspection = inspect_file(upload, PDF, limits)\n"
        "    stripped, size = stripped_to_temp(upload, PDF, sys.argv[2])\n"
        "    stripped.close()\n"
        "grown = (peak_kib() - before) / 1024\n"
        "print(json.dumps({'pages': inspection.page_count, 'size': size, 'grown_mib': grown}))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, str(path), str(tmp_path / "tmp")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result["pages"] == 8
    assert result["size"] > 128 * 2**20
    # One page: its 16 MiB image stream, decoded for the preview, and qpdf's write buffer.
    assert result["grown_mib"] < 96, result
    assert list((tmp_path / "tmp").iterdir()) == []
