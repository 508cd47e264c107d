"""Where the subject of an image is, found once at ingest: faces, else a salient region.

Faces are found with OpenCV's Haar cascade (the frontal-face model that
``opencv-python-headless`` 4.x ships in its wheel, ``cv2.data.haarcascades``), as thumbor
does for its smart crops. Without a face, the salient region is the box holding the middle
70% of the edge energy on each axis (:func:`~assets_hub.media.operations.saliency_profiles`).
Both run on a copy whose long side is :data:`DETECT_SIDE` px, so a 12 MP photo costs the
same as a small one. The box is stored with the version (fractions of the upright image) and
used as the focal region when the editors set no focal point.

:func:`flat_share` measures how much of an image is flat colour: posters, banners and other
artwork are mostly flat, photos are not; ingest suggests marking such an asset as artwork.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from assets_hub.media.operations import saliency_profiles

DETECT_SIDE = 480
FACE_GROW = 0.35  # of a face box's size on each side: hair, chin and a little shoulder
ENERGY_KEPT = 0.7  # the salient box holds this share of the edge energy on each axis
ARTWORK_FLAT_SHARE = 0.6  # an image this flat is suggested as artwork


@dataclass(frozen=True)
class Subject:
    """The subject's box, as fractions of the upright image, and how it was found."""

    x: float
    y: float
    width: float
    height: float
    kind: Literal["faces", "salient"]

    def as_json(self) -> dict[str, Any]:
        return {
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "width": round(self.width, 4),
            "height": round(self.height, 4),
            "kind": self.kind,
        }


_IMPORT_LOCK = threading.Lock()
_PER_THREAD = threading.local()


def _cascade() -> Any:
    """This thread's face classifier: OpenCV's classifiers are not safe to share between
    threads, and two threads importing cv2 at once can see a half-initialised module (no
    ``cv2.data``: seen as 500s on concurrent uploads), so the import is serialised."""
    cascade = getattr(_PER_THREAD, "cascade", None)
    if cascade is None:
        with _IMPORT_LOCK:
            import cv2  # imported on first use: ~0.1 s, only for processes that ingest

            models: str = cv2.data.haarcascades  # type: ignore[attr-defined]  # no stubs
            path = models + "haarcascade_frontalface_default.xml"
            cascade = cv2.CascadeClassifier(path)
        if cascade.empty():  # a 5.x wheel without its models, or a broken install
            raise RuntimeError(f"the Haar face model is missing at {path}")
        _PER_THREAD.cascade = cascade
    return cascade


def _small(image: Image.Image) -> Image.Image:
    grey = image.convert("L")
    scale = DETECT_SIDE / max(grey.size)
    if scale < 1:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return grey


def detect_faces(image: Image.Image) -> list[tuple[float, float, float, float]]:
    """Face boxes (fractions: left, top, width, height) found by the Haar cascade."""
    import numpy

    grey = _small(image)
    pixels = numpy.asarray(grey)
    found = _cascade().detectMultiScale(
        pixels, scaleFactor=1.2, minNeighbors=5, minSize=(max(24, max(grey.size) // 16),) * 2
    )
    w, h = grey.size
    return [(float(x) / w, float(y) / h, float(fw) / w, float(fh) / h) for x, y, fw, fh in found]


def _span(profile: list[float]) -> tuple[float, float]:
    """The fractions between which the middle ENERGY_KEPT of ``profile`` lies."""
    total = sum(profile)
    if total <= 0:
        return 0.25, 0.75
    cut = (1 - ENERGY_KEPT) / 2 * total
    running, start, end = 0.0, 0, len(profile)
    for i, value in enumerate(profile):
        running += value
        if running >= cut:
            start = i
            break
    running = 0.0
    for i in range(len(profile) - 1, -1, -1):
        running += profile[i]
        if running >= cut:
            end = i + 1
            break
    return start / len(profile), max(end, start + 1) / len(profile)


def detect_subject(image: Image.Image) -> Subject:
    """The faces' union (grown to a head-and-shoulders box), else the salient region."""
    faces = detect_faces(image)
    if faces:
        left = min(f[0] - FACE_GROW * f[2] for f in faces)
        top = min(f[1] - FACE_GROW * f[3] for f in faces)
        right = max(f[0] + f[2] * (1 + FACE_GROW) for f in faces)
        bottom = max(f[1] + f[3] * (1 + FACE_GROW) for f in faces)
        left, top = max(0.0, left), max(0.0, top)
        right, bottom = min(1.0, right), min(1.0, bottom)
        return Subject(left, top, right - left, bottom - top, "faces")
    columns, rows = saliency_profiles(image)
    x0, x1 = _span(columns)
    y0, y1 = _span(rows)
    return Subject(x0, y0, x1 - x0, y1 - y0, "salient")


def flat_share(image: Image.Image) -> float:
    """The share of pixels (0..1) in the 8 commonest coarse colours: ~1 for flat artwork."""
    small = image.convert("RGB")
    small.thumbnail((128, 128), Image.Resampling.NEAREST)
    coarse = small.point(lambda v: v & 0xF0)  # 16 levels a channel: JPEG noise merges
    colours = coarse.getcolors(1 << 16) or []
    top = sorted((count for count, _ in colours), reverse=True)[:8]
    return sum(top) / max(1, small.width * small.height)
