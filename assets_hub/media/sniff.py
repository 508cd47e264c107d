"""Type detection from the first bytes of a file; never trusts the name or Content-Type."""

from __future__ import annotations

from dataclasses import dataclass

from assets_hub.errors import UnsupportedMediaType

ACCEPTED_TEXT = "JPEG, PNG, WebP or GIF images, and PDF documents"


@dataclass(frozen=True)
class MediaType:
    """An accepted format: its MIME type, Pillow's format name and the extension we serve."""

    mime: str
    pillow_format: str | None
    extension: str

    @property
    def is_image(self) -> bool:
        return self.pillow_format is not None


JPEG = MediaType("image/jpeg", "JPEG", ".jpg")
PNG = MediaType("image/png", "PNG", ".png")
GIF = MediaType("image/gif", "GIF", ".gif")
WEBP = MediaType("image/webp", "WEBP", ".webp")
PDF = MediaType("application/pdf", None, ".pdf")
ACCEPTED = (JPEG, PNG, GIF, WEBP, PDF)
BY_MIME = {media.mime: media for media in ACCEPTED}

# How many leading bytes sniff() needs.
SNIFF_BYTES = 32

# Formats people commonly try, named in the refusal so they know what went wrong.
_REFUSED = (
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"%!PS", "PostScript/EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x00\x00\x01\x00", "ICO"),
)


def sniff(head: bytes) -> MediaType:
    """The accepted type the bytes start with, or UnsupportedMediaType (415) naming the choices."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    raise UnsupportedMediaType(
        f"{_describe(head)} are not accepted. Upload {ACCEPTED_TEXT}; "
        "export other images as JPEG or PNG first."
    )


def _describe(head: bytes) -> str:
    for magic, name in _REFUSED:
        if head.startswith(magic):
            return f"{name} files"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "HEIC/AVIF files"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "SVG and XML files"
    if stripped.startswith((b"<!doctype", b"<html", b"<", b"<script")):
        return "HTML and text files"
    return "Files of this type"
