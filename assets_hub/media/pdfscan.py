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

Memory stays flat whatever the file's size: both libraries read the file where it lies (a
path, or an open file such as the upload's spooled temporary file) and never as one ``bytes``.
qpdf only reads object headers during the walk; pdfium keeps every object it has parsed (the
data of a page's images included) until its document is closed, so large files are reopened
for every page and at most one page's resources are held at a time.
"""

from __future__ import annotations

import io
import os
import re
import threading
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, TypeAlias, cast

import pikepdf  # type: ignore[import-untyped,unused-ignore]

from assets_hub.errors import Unprocessable

TEXT_LIMIT_CHARS = 100_000
# Real documents nest dictionaries/arrays a handful of levels; hostile ones 100,000.
MAX_DEPTH = 64
# Dictionaries and arrays visited in total (~7 µs each): keeps the walk well inside the
# 15 s processing budget; ordinary fact sheets have a few thousand.
MAX_NODES = 1_500_000

# Above this size pdfium reopens the document for every page, so the data of the pages already
# read (it keeps everything it parsed until the document closes) never piles up.
REOPEN_ABOVE_BYTES = 32 * 1024 * 1024

# A PDF to read: its bytes, a path, or an open binary file (read from wherever it is; only
# ever seeked and read, never closed).
PdfSource: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]

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


def scan_pdf(source: PdfSource, max_pages: int) -> PdfReport:
    """Refuse unsafe or damaged PDFs (Unprocessable, 422); else pages and text for search.

    ``source`` is read in place (see :data:`PdfSource`); a file is left open, position unknown.
    """
    if not read_head(source, 5).startswith(b"%PDF-"):
        raise Unprocessable("The file is not a PDF: a PDF must start with %PDF-.")
    try:
        _check_structure(source)
    except Unprocessable:
        raise
    except (pikepdf.PdfError, RecursionError, ValueError, TypeError, KeyError, OSError) as exc:
        raise Unprocessable(DAMAGED) from exc
    with PDFIUM_LOCK:
        return _pages_and_text(source, max_pages)


def read_head(source: PdfSource, count: int) -> bytes:
    """The first ``count`` bytes of ``source`` (a file is rewound afterwards)."""
    if isinstance(source, bytes):
        return source[:count]
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            return file.read(count)
    source.seek(0)
    head = source.read(count)
    source.seek(0)
    return head


def source_size(source: PdfSource) -> int:
    """The size of ``source`` in bytes, without reading it."""
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, (str, os.PathLike)):
        return os.path.getsize(source)
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    return size


def open_pikepdf(source: PdfSource) -> Any:
    """``source`` opened by qpdf without recovery, read through plain reads (no mmap).

    No recovery: qpdf would otherwise rebuild truncated or garbled files by scanning for
    objects, and we would accept a document the author never finished writing. No mmap: pages
    of a mapped file count towards the process's resident memory as qpdf touches them.
    """
    readable: str | BinaryIO
    if isinstance(source, bytes):
        readable = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        readable = os.fspath(source)
    else:
        source.seek(0)
        readable = cast(BinaryIO, source)
    return pikepdf.open(readable, attempt_recovery=False, access_mode=pikepdf.AccessMode.stream)


def pdfium_input(source: PdfSource) -> bytes | str | IO[bytes]:
    """What ``pypdfium2.PdfDocument`` reads ``source`` from: bytes, a path or the open file."""
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    if not isinstance(source, (bytes, str)):
        source.seek(0)
    return source


def _check_structure(source: PdfSource) -> None:
    try:
        pdf = open_pikepdf(source)
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


def _open_pdfium(source: PdfSource) -> Any:
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    try:
        return pdfium.PdfDocument(pdfium_input(source))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unprocessable(ENCRYPTED) from exc
        raise Unprocessable(DAMAGED) from exc


def _pages_and_text(source: PdfSource, max_pages: int) -> PdfReport:
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    reopen = source_size(source) > REOPEN_ABOVE_BYTES
    document = _open_pdfium(source)
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
            if reopen and index:
                # Drops everything pdfium parsed for the previous pages (their images too).
                document.close()
                document = _open_pdfium(source)
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
