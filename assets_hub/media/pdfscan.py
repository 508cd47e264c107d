"""Structural safety scan of an uploaded PDF: pure and blocking, run in a worker thread.

The scan parses the file with qpdf (through pikepdf) and walks every object it holds,
including objects packed in compressed object streams. Working on parsed objects rather than
grepping bytes means names are already normalised (``/J#61vaScript`` *is* ``/JavaScript``),
compressed streams hold no secrets, and an ordinary ``/URI`` link is not mistaken for a threat.

Refused (422, with a message the uploader can act on): anything not starting with ``%PDF-`` at
byte 0, encryption of any kind, JavaScript and other active content (``/Launch``, remote or
embedded go-to actions, ``/ImportData``, RichMedia, XFA forms), embedded files, and damage
(unparseable, truncated, page-tree loops, absurd nesting). The walk is iterative with a depth
and size budget, so hostile nesting can't raise RecursionError or run unbounded.

Page count and text (for search) come from pdfium, which is also what draws the preview.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass

import pikepdf  # type: ignore[import-untyped,unused-ignore]

from assets_hub.errors import Unprocessable

TEXT_LIMIT_CHARS = 100_000
# Real documents nest dictionaries/arrays a handful of levels; hostile ones 100,000.
MAX_DEPTH = 64
# Dictionaries and arrays visited in total (~7 µs each): keeps the walk well inside the
# 15 s processing budget; ordinary fact sheets have a few thousand.
MAX_NODES = 1_500_000

# PDFium is not thread-safe, not even across different documents, and uploads are inspected
# in a pool of threads: every use of pypdfium2 in the process holds this lock.
PDFIUM_LOCK = threading.Lock()

DAMAGED = "The PDF is damaged and could not be read. Export it again and upload the new file."
ENCRYPTED = "Password-protected PDFs are not accepted."
TOO_COMPLEX = (
    "The PDF has too many objects to check within the time allowed. "
    "Export it again (e.g. with “Reduce file size”) or split it."
)
ATTACHMENTS = "PDFs with attachments are not accepted. Remove the attached files and try again."

# Action types (/S) that run code or reach outside the document.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action (it starts programs)",
    "/GoToR": "a link to another file",
    "/GoToE": "a link into an embedded file",
    "/ImportData": "an import-data action",
    "/RichMedia": "rich media",
    "/RichMediaExecute": "rich media",
}
# Dictionary keys whose mere presence means active content or an attachment.
_ACTIVE_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/XFA": "an XFA form"}
_URI_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_SAFE_URI_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
# qpdf warning texts that mean damage rather than a tolerable producer quirk.
_FATAL_WARNINGS = ("limits error", "loop", "damaged", "reconstruct", "recover", "excessive")
_ATTACHMENT_KEYS = {"/EmbeddedFiles", "/EF"}
_ATTACHMENT_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen"}


@dataclass(frozen=True)
class PdfReport:
    """What the scan found in an acceptable PDF."""

    page_count: int
    text: str


def scan_pdf(data: bytes, max_pages: int) -> PdfReport:
    """Refuse unsafe or damaged PDFs (Unprocessable, 422); else pages and text for search."""
    if not data.startswith(b"%PDF-"):
        raise Unprocessable("The file is not a PDF: a PDF must start with %PDF-.")
    try:
        _check_structure(data)
    except Unprocessable:
        raise
    except (pikepdf.PdfError, RecursionError, ValueError, TypeError, KeyError, OSError) as exc:
        raise Unprocessable(DAMAGED) from exc
    with PDFIUM_LOCK:
        return _pages_and_text(data, max_pages)


def _check_structure(data: bytes) -> None:
    try:
        # No recovery: qpdf would otherwise rebuild truncated or garbled files by scanning
        # for objects, and we would accept a document the author never finished writing.
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False)
    except pikepdf.PasswordError as exc:
        raise Unprocessable(ENCRYPTED) from exc
    with pdf:
        if pdf.is_encrypted:  # owner-password-only files open without a password
            raise Unprocessable(ENCRYPTED)
        budget = [MAX_NODES]
        for obj in pdf.objects:
            _walk(obj, budget)
        # Builds the page list: qpdf raises on a /Pages loop or a missing page tree.
        if len(pdf.pages) == 0:
            raise Unprocessable("The PDF has no pages.")
        # qpdf replaces what it cannot parse safely (100,000 nested arrays …) and only warns;
        # those warnings mean the file is damaged. Harmless repairs of sloppy producers don't.
        for warning in pdf.get_warnings():
            if any(sign in str(warning).lower() for sign in _FATAL_WARNINGS):
                raise Unprocessable(DAMAGED)


def _walk(root: pikepdf.Object, budget: list[int]) -> None:
    """Check one indirect object and every direct object inside it, without recursion.

    Indirect references are not followed: every indirect object is visited on its own by the
    caller (``pdf.objects``), so each is seen exactly once whatever the reference graph.
    ``budget`` holds the nodes the whole document may still visit.
    """
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise Unprocessable(TOO_COMPLEX)
        if depth > MAX_DEPTH:
            raise Unprocessable(DAMAGED)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            _check_dictionary(obj)
            children = [value for _, value in obj.items()]
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        for child in children:
            if isinstance(child, pikepdf.Object) and not child.is_indirect:
                if isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
                    stack.append((child, depth + 1))


def _check_dictionary(obj: pikepdf.Dictionary) -> None:
    keys = set(obj.keys())
    for key, what in _ACTIVE_KEYS.items():
        if key in keys:
            raise _active(what)
    if keys & _ATTACHMENT_KEYS:
        raise Unprocessable(ATTACHMENTS)
    action = obj.get("/S")
    if isinstance(action, pikepdf.Name) and str(action) in _ACTIVE_ACTIONS:
        raise _active(_ACTIVE_ACTIONS[str(action)])
    if action == pikepdf.Name.URI:
        _check_uri(obj.get("/URI"))
    subtype = obj.get("/Subtype")
    if isinstance(subtype, pikepdf.Name) and str(subtype) in _ATTACHMENT_SUBTYPES:
        if str(subtype) == "/FileAttachment":
            raise Unprocessable(ATTACHMENTS)
        raise _active("embedded media")


def _check_uri(uri: object) -> None:
    """Links may open web pages, e-mail or phone numbers; ``javascript:``, ``file:``, UNC … not.

    Viewers hand URIs to the operating system: ``file:`` and ``\\\\host\\share`` leak NTLM
    credentials or open local programs, ``javascript:`` runs in some viewers' browsers.
    """
    if not isinstance(uri, pikepdf.String):
        return  # a missing or malformed URI opens nothing
    # Viewers ignore spaces and control characters inside a scheme; so must the check.
    text = "".join(ch for ch in bytes(uri).decode("latin-1") if ch > " ").lower()
    scheme = _URI_SCHEME.match(text)
    if scheme is not None:
        safe = scheme.group(1) in _SAFE_URI_SCHEMES
    else:  # "www.example.org" is fine; "\\\\host\\share" and "/etc/…" are paths
        safe = not text.startswith(("\\", "/"))
    if not safe:
        raise _active("a link that is not a web, e-mail or phone address")


def _active(what: str) -> Unprocessable:
    return Unprocessable(
        f"The PDF contains {what}; PDFs with JavaScript or other active content are not "
        "accepted. Export it again as a plain PDF (e.g. “PDF/A” or “Print to PDF”)."
    )


def _pages_and_text(data: bytes, max_pages: int) -> PdfReport:
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unprocessable(ENCRYPTED) from exc
        raise Unprocessable(DAMAGED) from exc
    try:
        pages = len(document)
        if pages == 0:
            raise Unprocessable("The PDF has no pages.")
        if pages > max_pages:
            raise Unprocessable(
                f"The PDF has {pages:,} pages; at most {max_pages:,} pages are accepted."
            )
        parts: list[str] = []
        size = 0
        for index in range(pages):
            if size >= TEXT_LIMIT_CHARS:
                break
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            except pdfium.PdfiumError as exc:
                raise Unprocessable(DAMAGED) from exc
            finally:
                page.close()
            text = text.replace("\x00", "").strip()
            if text:
                parts.append(text)
                size += len(text) + 2
        return PdfReport(page_count=pages, text="\n\n".join(parts)[:TEXT_LIMIT_CHARS])
    finally:
        document.close()
