"""Pillow steps of a rendition: decode (with JPEG draft), saliency, crop+resize, encode.

Each function is pure over its arguments and blocking; :mod:`assets_hub.media.renditions`
strings them together. Why each step is shaped the way it is:

* decode: a JPEG can be decoded by libjpeg at 1/2, 1/4 or 1/8 scale (``draft``) for a
  fraction of the time; we ask for the smallest scale that still covers the crop at the
  output size, so quality is unchanged.
* resize: only the part of the output the overlay's opaque band leaves visible is made (the
  band covers ~24% of most frames); a crop that needs no scaling is copied. Otherwise one
  ``resize(box=crop, reducing_gap=2.0)`` call crops and scales together: first
  ``reduce()`` (cheap box averaging by an integer factor) when the factor is ≥ 4, then one
  convolution pass for the rest. That pass is bicubic: after the DCT draft and reduce() the
  remaining factor is < 4 (usually < 2), where bicubic is visually indistinguishable from
  Lanczos but needs 2/3 of the taps (measured ~30% faster here; see ADR 0003). Large outputs
  are resized (and colour-converted) in two bands of rows, side by side on the render helpers
  (:mod:`assets_hub.media.parallel`).
* colour: an embedded ICC profile (e.g. Display P3 from phones) is converted to sRGB on the
  *output-sized* image (only its part not hidden by the band), in place, with the LittleCMS
  transform cached per profile.
* encode: no metadata is passed to the encoder and ``info`` is emptied, so no EXIF/GPS/XMP
  survives; an sRGB ICC profile is embedded so colour-managed viewers show the right colours.
  JPEGs are baseline 4:2:0 with the standard Huffman tables: optimised tables plus
  progressive scans cost ~15 ms more per 1080 px rendition for ~6% fewer bytes.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Literal

from PIL import Image, ImageCms, ImageFilter, ImageStat

from assets_hub.media import parallel
from assets_hub.media.geometry import Rect, transposed
from assets_hub.media.inspect import to_srgb

OutputFormat = Literal["jpeg", "png", "webp"]
MEDIA_TYPES: dict[str, str] = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
SOURCE_FORMATS = ["JPEG", "PNG", "WEBP"]
MAX_SOURCE_PIXELS = 100_000_000  # far above ingest's masters; originals were checked at upload
_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_ICC: bytes = _SRGB_PROFILE.tobytes()
DEFAULT_QUALITY = {"jpeg": 85, "webp": 82}
MIN_QUALITY = 40  # below this JPEG/WebP artefacts are worse than missing a budget
_SALIENCY_SIDE = 96
# Outputs from this size up are resized in bands on the render pool (media.parallel); below
# it the hand-over costs more than the second core saves.
PARALLEL_MIN_PIXELS = 250_000
# Always two bands, however many cores: the bytes of a rendition (its key) must not depend on
# the machine (band edges round differently by a level here and there); two cores are what
# one render gains from, the others serve other renders.
RESIZE_BANDS = 2
_ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


RESAMPLE = Image.Resampling.BICUBIC


class SourceError(ValueError):
    """The source bytes cannot be decoded as a rendition source."""


@dataclass
class Source:
    """An opened (not yet decoded) source and its upright size."""

    image: Image.Image
    orientation: int
    upright: tuple[int, int]
    decoded: bool = False


def decode_master(data: bytes) -> Image.Image:
    """Decode a working master (upright sRGB, as ingest stores it) fully, for reuse.

    A caller that renders many presets of one asset may keep the result (e.g. in a small LRU
    keyed by asset version) and pass it as ``RenderRequest.source``: that skips the decode.
    """
    source = open_source(data)
    try:
        source.image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise SourceError(f"master image is damaged ({exc})") from None
    image = source.image
    image.info = {}
    return image


def open_source(data: bytes | Image.Image) -> Source:
    """Open ``data`` (JPEG, PNG or WebP) reading only the header; SourceError if unusable.

    An already decoded image is taken as a working master: upright, sRGB, no metadata.
    """
    if isinstance(data, Image.Image):
        return Source(data, 1, data.size, decoded=True)
    try:
        image = Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise SourceError(f"source is not a readable JPEG, PNG or WebP image ({exc})") from None
    # The whole (in-memory) file in one decoder call rather than 64 KiB at a time: the GIL is
    # released for the call, and between calls this thread must win it back from the one
    # drawing the overlay meanwhile (up to 5 ms each, the interpreter's switch interval).
    image.decodermaxblock = max(image.decodermaxblock, len(data))
    # Checked from the header, before any pixel buffer exists; Pillow's own (policy) limit
    # applies too when it is lower.
    limit = min(MAX_SOURCE_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_SOURCE_PIXELS)
    if image.width * image.height > limit:
        raise SourceError(f"source has more than {limit:,} pixels")
    orientation = 1
    if image.format == "JPEG" or "exif" in image.info:
        try:
            orientation = int(image.getexif().get(_ORIENTATION_TAG, 1))
        except (OSError, ValueError, SyntaxError):
            orientation = 1  # unreadable EXIF: treat as upright, as ingest does
    return Source(image, orientation, transposed(image.size, orientation in (5, 6, 7, 8)))


def decode_for(
    source: Source, crop: Rect, out: tuple[int, int], *, coverage: float = 1.0
) -> tuple[Image.Image, Rect]:
    """Decode ``source`` (drafted when that still covers ``out``), upright; crop in its pixels.

    ``crop`` is in upright full-resolution coordinates; the returned rect is the same region
    in the decoded image's coordinates. ``coverage`` < 1 lets the draft fall short of the
    output by that factor (previews: a slightly soft 600 px image, decoded about 4 times faster).
    """
    image = source.image
    swap = source.orientation in (5, 6, 7, 8)
    full = source.upright
    if image.format == "JPEG" and not source.decoded:
        # Smallest DCT scale whose crop still has at least as many pixels as the output.
        need = max(out[0] / crop.width, out[1] / crop.height) * coverage
        want = transposed((math.ceil(full[0] * need), math.ceil(full[1] * need)), swap)
        image.draft(None, want)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise SourceError(f"source image is damaged ({exc})") from None
    if source.decoded:
        return image, crop
    method = _TRANSPOSE.get(source.orientation)
    pixels = image.transpose(method) if method is not None else image
    sx, sy = pixels.width / full[0], pixels.height / full[1]
    return pixels, Rect(crop.left * sx, crop.top * sy, crop.width * sx, crop.height * sy)


def edge_colour(image: Image.Image) -> tuple[int, int, int]:
    """The mean colour of ``image``'s outermost pixels: a background it can sit on."""
    rgb = image.convert("RGB")
    if min(rgb.size) <= 2:  # a strip (one edge) already: all of it
        r, g, b = (round(v) for v in ImageStat.Stat(rgb).mean)
        return r, g, b
    small = rgb.resize((24, 24), Image.Resampling.BOX)
    ring = Image.new("L", small.size, 255)
    ring.paste(0, (1, 1, 23, 23))
    r, g, b = (round(v) for v in ImageStat.Stat(small, ring).mean)
    return r, g, b


def saliency_profiles(image: Image.Image) -> tuple[list[float], list[float]]:
    """Column and row edge energy of a small greyscale copy (for crops without a focus).

    Edge energy is a cheap stand-in for "where the detail is"; the averaging is done by
    Pillow's BOX resize to a single row/column, so no per-pixel Python loop runs.
    """
    # Point-sample to at most 4 times the working side first (~0.2 ms, against ~4 ms for a box
    # reduce of a whole 2560 px master): the bilinear thumbnail below still averages ~16
    # samples into every cell, plenty for where the detail is.
    w, h = image.size
    k = min(1.0, 4 * _SALIENCY_SIDE / max(1, min(w, h)))
    if k < 1.0:
        image = image.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.NEAREST)
    small = image.convert("L")
    small.thumbnail((_SALIENCY_SIDE, _SALIENCY_SIDE), Image.Resampling.BILINEAR)
    edges = small.filter(ImageFilter.FIND_EDGES)
    # The outermost pixels of FIND_EDGES are artefacts of the border: ignore them.
    edges = edges.crop((1, 1, max(2, edges.width - 1), max(2, edges.height - 1)))
    # Mode "L": one byte per pixel, so the raw bytes are the averaged energies.
    columns = edges.resize((edges.width, 1), Image.Resampling.BOX).tobytes()
    rows = edges.resize((1, edges.height), Image.Resampling.BOX).tobytes()
    return [float(v) for v in columns], [float(v) for v in rows]


def crop_resize(
    image: Image.Image,
    crop: Rect,
    out: tuple[int, int],
    *,
    visible: tuple[int, int, int, int] | None = None,
) -> Image.Image:
    """``crop`` of ``image`` scaled to ``out``, in sRGB RGB/RGBA, with empty ``info``.

    ``visible`` (left, top, width, height in output pixels) limits the work to that part of
    the output: the rest is left black (or transparent), for a caller that covers it (the
    overlay's opaque band). The pixels inside are those of the whole resize (to ±1 level of
    rounding): the sub-box has the same scale and the same sample centres.
    """
    if image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        image = image.convert(
            "RGBA" if "transparency" in image.info or "A" in image.mode else "RGB"
        )
    box = (
        max(0.0, crop.left),
        max(0.0, crop.top),
        min(float(image.width), crop.right),
        min(float(image.height), crop.bottom),
    )
    vx, vy, vw, vh = visible if visible is not None else (0, 0, *out)
    sx, sy = (box[2] - box[0]) / out[0], (box[3] - box[1]) / out[1]
    icc = image.info.get("icc_profile")
    transform = (
        _srgb_transform(icc) if image.mode == "RGB" and isinstance(icc, bytes) and icc else None
    )

    def rows(top: int, height: int) -> Image.Image:
        # Output rows top..top+height of the visible part, colour-converted in place (on the
        # output-sized pixels only, a fraction of the source).
        part = (
            box[0] + vx * sx,
            box[1] + top * sy,
            box[0] + (vx + vw) * sx,
            box[1] + (top + height) * sy,
        )
        scaled = _scale(image, part, (vw, height))
        if transform is not None:
            ImageCms.applyTransform(scaled, transform, inPlace=True)
        return scaled

    bands = _bands(vy, vh) if vw * vh >= PARALLEL_MIN_PIXELS else [(vy, vh)]
    pieces = parallel.run_all([partial(rows, top, height) for top, height in bands])
    scaled = pieces[0]
    if len(pieces) > 1:
        scaled = Image.new(image.mode, (vw, vh))
        for (top, _height), piece in zip(bands, pieces, strict=True):
            scaled.paste(piece, (0, top - vy))
    if transform is not None:
        icc = None
    if icc:
        scaled.info = {"icc_profile": icc}
        scaled = to_srgb(scaled)  # other modes and profiles: the ingest's conversion
    elif scaled.mode not in ("RGB", "RGBA"):
        scaled = scaled.convert("RGB")
    scaled.info = {}
    if (vw, vh) == out:
        return scaled
    canvas = Image.new(scaled.mode, out)
    canvas.paste(scaled, (vx, vy))
    return canvas


def _bands(top: int, height: int) -> list[tuple[int, int]]:
    """``height`` output rows from ``top`` cut into RESIZE_BANDS bands."""
    edges = [top + height * i // RESIZE_BANDS for i in range(RESIZE_BANDS + 1)]
    return [(a, b - a) for a, b in itertools.pairwise(edges) if b > a]


def _scale(
    image: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int]
) -> Image.Image:
    """``box`` of ``image`` resampled to ``size``; a plain crop when that is 1:1."""
    left, top = round(box[0]), round(box[1])
    if (
        abs(box[2] - box[0] - size[0]) < 1e-6 * size[0]
        and abs(box[3] - box[1] - size[1]) < 1e-6 * size[1]
        and left + size[0] <= image.width
        and top + size[1] <= image.height
    ):
        # No scaling (e.g. a story from a 1920 px tall master): copying whole pixels is exact
        # where bicubic would only blur a sub-pixel shift, and it costs ~1 ms instead of ~18.
        return image.crop((left, top, left + size[0], top + size[1]))
    # reducing_gap=2.0: reduce() by an integer factor first, then one bicubic pass.
    return image.resize(size, RESAMPLE, box=box, reducing_gap=2.0)


@lru_cache(maxsize=16)
def _srgb_transform(icc: bytes) -> ImageCms.ImageCmsTransform | None:
    """A cached RGB profile → sRGB transform (building one costs more than applying it)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if profile.profile.xcolor_space.strip() != "RGB":
            return None
        return ImageCms.buildTransform(
            profile, _SRGB_PROFILE, "RGB", "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Encoded:
    data: bytes
    quality: int | None
    budget_met: bool | None  # None: no budget


def _save(image: Image.Image, fmt: OutputFormat, quality: int, dpi: int, fast: bool) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        rgb = image if image.mode == "RGB" else _flatten(image)
        rgb.save(
            out,
            "JPEG",
            quality=quality,
            # Baseline, standard Huffman tables, 4:2:0: ~4 ms for 1080x1080 against ~19 ms
            # optimised + progressive, for ~6% more bytes (budgets are still searched).
            optimize=False,
            progressive=False,
            subsampling=2,
            icc_profile=SRGB_ICC,
            dpi=(dpi, dpi),
        )
    elif fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=2 if fast else 4, icc_profile=SRGB_ICC)
    else:
        image.save(
            out, "PNG", compress_level=1 if fast else 6, icc_profile=SRGB_ICC, dpi=(dpi, dpi)
        )
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image.convert("RGB")
    canvas = Image.new("RGB", image.size, (255, 255, 255))
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas


def encode(
    image: Image.Image,
    fmt: OutputFormat,
    *,
    budget: int | None = None,
    dpi: int = 72,
    fast: bool = False,
) -> Encoded:
    """Encode with no metadata but an sRGB profile; meet ``budget`` bytes if it can.

    JPEG/WebP: the default quality first; if over budget, a binary search for the highest
    quality ≥ MIN_QUALITY that fits (about five more encodes). PNG is lossless: its budget is
    only reported.
    """
    image.info = {}
    if fmt == "png":
        data = _save(image, fmt, 0, dpi, fast)
        return Encoded(data, None, None if budget is None else len(data) <= budget)
    quality = DEFAULT_QUALITY[fmt]
    data = _save(image, fmt, quality, dpi, fast)
    if budget is None or len(data) <= budget:
        return Encoded(data, quality, None if budget is None else True)
    lo, hi = MIN_QUALITY, quality - 1
    best: tuple[bytes, int] | None = None
    smallest = (data, quality)
    while lo <= hi:
        mid = (lo + hi) // 2
        trial = _save(image, fmt, mid, dpi, fast)
        if len(trial) <= budget:
            best, lo = (trial, mid), mid + 1
        else:
            smallest, hi = (trial, mid), mid - 1
    if best is None:
        return Encoded(smallest[0], smallest[1], False)
    return Encoded(best[0], best[1], True)
