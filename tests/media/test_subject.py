"""Subject detection at ingest: faces (OpenCV's Haar cascade), else a salient region; flat
colour suggests artwork; the box found becomes the crop's focal region."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageDraw

from assets_hub.media.geometry import WHOLE
from assets_hub.media.inspect import Limits, inspect_file
from assets_hub.media.sniff import sniff
from assets_hub.media.subject import _cascade, detect_subject, flat_share
from assets_hub.models import Asset, AssetVersion
from assets_hub.services.rendering import _focus
from tests.conftest import PHOTOS

LIMITS = Limits(max_pixels=50_000_000, max_side_px=12_000, max_frames=1000, max_pdf_pages=500)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _noisy_photo_with_detail_low_left() -> Image.Image:
    # A photo-like background: colour gradients with grain, no large flat areas.
    size = (1600, 1200)
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for i in range(0, 300, 12):  # a busy pattern: where the detail is
        draw.line((150 + i, 800, 150 + i, 1100), fill=(250, 250, 250), width=4)
        draw.line((150, 800 + i, 450, 800 + i), fill=(10, 10, 10), width=4)
    return image


def test_the_face_model_ships_with_the_opencv_wheel() -> None:
    assert not _cascade().empty()  # 5.x wheels no longer carry cv2.data's Haar models


@pytest.mark.skipif(
    not (PHOTOS / "astronaut-512.png").exists(), reason="needs the bench portrait (a real face)"
)
def test_a_real_face_is_found_and_boxed() -> None:
    image = Image.open(PHOTOS / "astronaut-512.png")
    subject = detect_subject(image)
    assert subject.kind == "faces"
    # The astronaut's face is in the upper half, left of centre to centre.
    assert 0.2 < subject.x + subject.width / 2 < 0.65
    assert subject.y + subject.height / 2 < 0.5
    assert 0.05 < subject.width < 0.6


def test_without_a_face_the_salient_region_holds_the_detail() -> None:
    subject = detect_subject(_noisy_photo_with_detail_low_left())
    assert subject.kind == "salient"
    assert subject.x < 150 / 1600 + 0.05 and subject.x + subject.width > 450 / 1600 - 0.05
    assert subject.y < 800 / 1200 + 0.05 and subject.y + subject.height > 1100 / 1200 - 0.05


def test_flat_artwork_and_photos_are_told_apart() -> None:
    banner = Image.new("RGB", (1200, 400), (230, 80, 40))
    ImageDraw.Draw(banner).text((40, 100), "LIBRARIES WEEK", fill="white")
    assert flat_share(Image.open(io.BytesIO(_jpeg(banner)))) > 0.9
    assert flat_share(_noisy_photo_with_detail_low_left()) < 0.5


def test_ingest_stores_the_subject_and_the_flat_share() -> None:
    data = _jpeg(_noisy_photo_with_detail_low_left())
    inspection = inspect_file(io.BytesIO(data), sniff(data), LIMITS)
    assert inspection.subject is not None and inspection.subject["kind"] == "salient"
    assert inspection.flat_share is not None and inspection.flat_share < 0.5
    assert inspection.detect_ms is not None and inspection.detect_ms > 0


def test_the_editors_focal_point_wins_over_the_detected_box_and_artwork_over_both() -> None:
    box = {"x": 0.1, "y": 0.6, "width": 0.2, "height": 0.3, "kind": "faces"}
    version = AssetVersion(subject_box=box)
    asset = Asset(id=uuid.uuid4(), title="t", focal_x=None, focal_y=None)
    detected = _focus(asset, version)
    assert detected is not None
    assert (detected.x, detected.y, detected.width, detected.height) == pytest.approx(
        (0.2, 0.75, 0.2, 0.3)
    )
    asset.focal_x, asset.focal_y = 0.8, 0.2
    chosen = _focus(asset, version)
    assert chosen is not None and (chosen.x, chosen.y) == (0.8, 0.2)
    asset.artwork = True
    assert _focus(asset, version) == WHOLE
