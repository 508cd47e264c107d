"""The original image as a library member may download it: same format, metadata removed.

Nothing is re-encoded: each format's container is rewritten keeping only an allow-list of
structural parts, so the pixels are bit-for-bit the uploaded ones (SECURITY IMG-01). Because
the rewrite is an allow-list and stops at the format's end marker, private chunks, comment
segments, data after JPEG EOI / PNG IEND / the RIFF length / the GIF trailer, and appended ZIP
or HTML payloads are all gone as well (IMG-05).

* JPEG: APP1 (EXIF, XMP), APP13 (IPTC), COM and every other APPn are dropped. JFIF and Adobe
  APP14 (needed to read CMYK colours right) are re-emitted in their fixed-size form, the ICC
  profile (APP2 ``ICC_PROFILE``) is kept when it parses, and a minimal EXIF block holding only
  the Orientation tag is written when the photo needs turning, so it still displays upright.
* PNG: only critical chunks and colour/animation chunks are kept (no eXIf, tEXt, zTXt, iTXt,
  tIME or private chunks); orientation comes back as a one-tag eXIf.
* WebP: EXIF and XMP chunks dropped and the VP8X flags updated; orientation as for PNG.
* GIF: comment, plain-text and application extensions dropped except the NETSCAPE looping one.
* PDF (rewritten by qpdf, content streams untouched): the document information dictionary
  (author, creator …), every XMP ``/Metadata`` stream and ``/PieceInfo`` are removed, and
  embedded JPEG images lose their EXIF/XMP/IPTC segments exactly as above. Run it only on a
  PDF that :func:`assets_hub.media.pdfscan.scan_pdf` accepted. PDFs are read from the file and
  written to an output file (:func:`write_stripped`), never held whole in memory; qpdf holds
  one stream's data at a time while writing.

Editors and admins get the untouched original from storage; this is for everyone else.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zlib
from typing import IO, BinaryIO

import pikepdf  # type: ignore[import-untyped,unused-ignore]
from PIL import Image, ImageCms

from assets_hub.errors import Unprocessable
from assets_hub.media.pdfscan import PdfSource, open_pikepdf
from assets_hub.media.sniff import GIF, JPEG, PDF, PNG, WEBP, MediaType

_ORIENTATION = 0x0112


def stripped_original(file: IO[bytes], media: MediaType) -> bytes:
    """The file's bytes without metadata or trailing payloads; Unprocessable if malformed.

    In memory: for images (capped well below a PDF's limit) and small PDFs. Large PDFs go
    through :func:`write_stripped` into a file.
    """
    out = io.BytesIO()
    write_stripped(file, media, out)
    return out.getvalue()


def stripped_to_temp(file: IO[bytes], media: MediaType, tmp_dir: str) -> tuple[BinaryIO, int]:
    """The stripped copy in a new temporary file in ``tmp_dir``, rewound, and its size.

    The file has no name on disk and is gone once closed (the caller closes it, whatever
    happens); on any failure here it is closed before the error propagates.
    """
    os.makedirs(tmp_dir, exist_ok=True)
    out = tempfile.TemporaryFile(dir=tmp_dir)
    try:
        size = write_stripped(file, media, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def write_stripped(file: IO[bytes], media: MediaType, out: IO[bytes]) -> int:
    """Write the stripped copy of ``file`` to ``out``; the number of bytes written.

    Images are stripped in memory; a PDF is read from ``file`` in place and streamed to
    ``out``. Unprocessable if the file is malformed.
    """
    file.seek(0)
    try:
        if media == PDF:
            start = out.tell()
            strip_pdf(file, out)
            return out.tell() - start
        data = file.read()
        if media == JPEG:
            stripped = strip_jpeg(data, orientation=_orientation(data, media))
        elif media == PNG:
            stripped = strip_png(data, orientation=_orientation(data, media))
        elif media == WEBP:
            stripped = strip_webp(data, orientation=_orientation(data, media))
        elif media == GIF:
            stripped = strip_gif(data)
        else:
            raise TypeError(f"{media.mime} has no metadata-free original")
    except (IndexError, struct.error, ValueError, pikepdf.PdfError) as exc:
        kind = "PDF" if media == PDF else "image"
        raise Unprocessable(f"The {kind} is damaged (its structure could not be read).") from exc
    return out.write(stripped)


def _orientation(data: bytes, media: MediaType) -> int:
    """The orientation Pillow sees (EXIF, else XMP ``tiff:Orientation``); 1 if none or invalid.

    Metadata removal drops the block that held it; it is written back as a one-tag EXIF so the
    stripped photo still displays upright.
    """
    if media.pillow_format is None:
        return 1
    try:
        with Image.open(io.BytesIO(data), formats=[media.pillow_format]) as image:
            value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - unreadable metadata means no rotation, never a failure
        return 1
    return value if isinstance(value, int) and 2 <= value <= 8 else 1


def orientation_tiff(orientation: int) -> bytes:
    """A TIFF-structured EXIF block holding one tag, Orientation, and nothing else."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", _ORIENTATION, 3, 1, orientation, 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)


# --- JPEG -------------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP2, _APP14 = 0xE0, 0xE2, 0xEE
# Frame, table and restart markers that describe the pixels: kept verbatim.
_JPEG_STRUCTURE = {
    *range(0xC0, 0xC4),  # SOF0-3
    0xC4,  # DHT
    *range(0xC5, 0xC8),  # SOF5-7
    *range(0xC9, 0xCC),  # SOF9-11
    0xCC,  # DAC
    *range(0xCD, 0xD0),  # SOF13-15
    0xDB,  # DQT
    0xDC,  # DNL
    0xDD,  # DRI
    0xDF,  # EXP
}
_ICC_MAGIC = b"ICC_PROFILE\x00"


def strip_jpeg(data: bytes, orientation: int = 1) -> bytes:
    """Rewrite the marker stream from SOI to EOI keeping only what decoding needs."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("no SOI")
    out = bytearray(b"\xff\xd8")
    icc_chunks: list[bytes] = []
    pos = 2
    while True:
        # Markers may be preceded by any number of 0xFF fill bytes.
        if data[pos] != 0xFF:
            raise ValueError("expected a marker")
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            break
        if marker == _SOI or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers outside a scan: nothing to copy
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > len(data):
            raise ValueError("segment runs past the end")
        payload = data[pos + 2 : pos + length]
        segment_end = pos + length
        if marker == _SOS:
            scan_end = _scan_end(data, segment_end)
            orientation = _flush_header(out, icc_chunks, orientation)
            out += b"\xff\xda" + data[pos:segment_end] + data[segment_end:scan_end]
            pos = scan_end
            continue
        if marker in _JPEG_STRUCTURE:
            orientation = _flush_header(out, icc_chunks, orientation)
            out += bytes((0xFF, marker)) + data[pos:segment_end]
        elif marker == _APP0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
            # Version, units and density only; the optional embedded thumbnail is dropped.
            out += b"\xff\xe0" + struct.pack(">H", 16) + payload[:12] + b"\x00\x00"
        elif marker == _APP14 and payload.startswith(b"Adobe") and len(payload) >= 12:
            out += b"\xff\xee" + struct.pack(">H", 14) + payload[:12]
        elif marker == _APP2 and payload.startswith(_ICC_MAGIC):
            icc_chunks.append(payload)
        # Everything else (other APP1, APP13 IPTC, COM, APP3-15, JPG extensions) is dropped.
        pos = segment_end
    out += b"\xff\xd9"
    return bytes(out)


def _scan_end(data: bytes, pos: int) -> int:
    """Offset of the first marker after entropy-coded data (skipping stuffing and RSTn)."""
    while True:
        pos = data.index(b"\xff", pos)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1  # fill byte before a marker
        else:
            return pos


def _flush_header(out: bytearray, icc_chunks: list[bytes], orientation: int) -> int:
    """Write orientation and ICC profile before the first structural segment; 1 once written."""
    if orientation != 1:
        payload = b"Exif\x00\x00" + orientation_tiff(orientation)
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    if icc_chunks and _valid_icc(icc_chunks):
        for chunk in icc_chunks:
            out += b"\xff\xe2" + struct.pack(">H", len(chunk) + 2) + chunk
    icc_chunks.clear()
    return 1


def _valid_icc(chunks: list[bytes]) -> bool:
    """True if the APP2 chunks, reassembled in sequence order, form a profile LittleCMS reads."""
    try:
        ordered = sorted(chunks, key=lambda c: c[len(_ICC_MAGIC)])
        profile = b"".join(c[len(_ICC_MAGIC) + 2 :] for c in ordered)
        ImageCms.ImageCmsProfile(io.BytesIO(profile))
    except (ImageCms.PyCMSError, OSError, IndexError, ValueError):
        return False
    return True


# --- PNG --------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that affect how the pixels look or animate; everything else is dropped.
_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"bKGD",
    b"pHYs",
    b"cICP",
    b"mDCV",
    b"cLLI",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def strip_png(data: bytes, orientation: int = 1) -> bytes:
    """Keep allowed chunks, in order, up to and including IEND (orientation as a new eXIf)."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    out = bytearray(_PNG_SIGNATURE)
    pos = len(_PNG_SIGNATURE)
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("chunk runs past the end")
        if kind == b"IDAT" and orientation != 1:  # eXIf must precede the image data
            tiff = orientation_tiff(orientation)
            crc = zlib.crc32(b"eXIf" + tiff)
            out += struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(">I", crc)
            orientation = 1
        if kind in _PNG_KEEP:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            return bytes(out)


# --- WebP -------------------------------------------------------------------------------------

_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes, orientation: int = 1) -> bytes:
    """Keep image, alpha, animation and ICC chunks within the RIFF length; fix flags and size.

    Orientation survives as a one-tag EXIF chunk when the file has a VP8X header to flag it
    (the simple lossy/lossless layouts can't carry metadata at all).
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP RIFF")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = min(len(data), 8 + riff_size)
    body = bytearray()
    pos = 12
    while pos + 8 <= end:
        kind, size = struct.unpack("<4sI", data[pos : pos + 8])
        chunk_end = pos + 8 + size + (size & 1)
        if pos + 8 + size > end:
            raise ValueError("chunk runs past the end")
        if kind in _WEBP_KEEP:
            chunk = bytearray(data[pos : min(chunk_end, end)])
            if size & 1 and len(chunk) < 8 + size + 1:
                chunk += b"\x00"
            if kind == b"VP8X":
                chunk[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
            body += chunk
        pos = chunk_end
    if orientation != 1 and body[:4] == b"VP8X":
        tiff = orientation_tiff(orientation)
        body += b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1)
        body[8] |= _VP8X_EXIF
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + bytes(body)


# --- GIF --------------------------------------------------------------------------------------


def strip_gif(data: bytes) -> bytes:
    """Keep header, colour tables, frames, graphic control and looping extensions."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    pos = 13
    flags = data[10]
    if flags & 0x80:
        pos += 3 << ((flags & 0x07) + 1)
    out = bytearray(data[:pos])
    while True:
        introducer = data[pos]
        if introducer == 0x3B:  # trailer: anything after it is dropped
            out += b"\x3b"
            return bytes(out)
        if introducer == 0x2C:
            start = pos
            local = data[pos + 9]
            pos += 10
            if local & 0x80:
                pos += 3 << ((local & 0x07) + 1)
            pos = _sub_blocks_end(data, pos + 1)  # after the LZW minimum code size
            out += data[start:pos]
        elif introducer == 0x21:
            start = pos
            label = data[pos + 1]
            pos = _sub_blocks_end(data, pos + 2)
            block = data[start:pos]
            if label == 0xF9 or (label == 0xFF and block[3:14] == b"NETSCAPE2.0"):
                out += block
        else:
            raise ValueError("unknown GIF block")


def _sub_blocks_end(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            if pos > len(data):
                raise ValueError("sub-block runs past the end")
            return pos


# --- PDF --------------------------------------------------------------------------------------

_PDF_METADATA_KEYS = ("/Metadata", "/PieceInfo")


def strip_pdf(source: PdfSource, out: IO[bytes]) -> None:
    """Write the PDF to ``out`` without document info, XMP, PieceInfo, or EXIF in its JPEGs."""
    with open_pikepdf(source) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for obj in pdf.objects:
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            for key in _PDF_METADATA_KEYS:
                if key in obj:
                    del obj[key]
            if isinstance(obj, pikepdf.Stream) and _is_plain_jpeg(obj):
                raw = obj.read_raw_bytes()
                cleaned = strip_jpeg(raw)
                if cleaned != raw:
                    obj.write(cleaned, filter=pikepdf.Name.DCTDecode)
        # No new /ID from the content hash of the original, no Producer entry added.
        pdf.save(out, deterministic_id=True)


def _is_plain_jpeg(stream: pikepdf.Stream) -> bool:
    """True for image streams whose raw bytes are exactly one JPEG file (filter DCTDecode)."""
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    return bool(filters == pikepdf.Name.DCTDecode)
