"""A contact sheet of branded renders to look at: every social preset x profiles x test images.

    .venv/bin/python bench/gallery.py            # writes var/gallery/index.html (make gallery)

Profiles: long name, no logo, light brand colour, Welsh name. Test images: a photo with its
subject low on the left (focal area set), the bench's astronaut portrait (a face), a wide
campaign banner with its title set in type, and a tall poster (both protected whole). Each
render's layout report is written beside it (``*.json``).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets_hub.branding.presets import PRESETS
from assets_hub.media.renditions import RenderError, RenderRequest, render_with_layout
from tests.branding.test_layout_rules import EVENT, PROFILES, images

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "photos"
OUT = Path("var/gallery")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="the bench photos")
    args = parser.parse_args()
    page = build(args.out, args.photos)
    print(f"wrote {page}")


def build(out: Path, photos: Path = PHOTOS) -> Path:
    """Render the contact sheet into ``out``; the path of its index.html."""
    out.mkdir(parents=True, exist_ok=True)
    presets = [p for p in PRESETS.values() if not p.key.startswith("poster")]
    rows = []
    for image_name, (data, focus) in images(photos).items():
        for profile_name, brand in PROFILES.items():
            cells = []
            for preset in presets:
                stem = f"{image_name}--{profile_name}--{preset.key}"
                request = RenderRequest(
                    data,
                    image_name,
                    preset,
                    focus=focus,
                    brand=brand,
                    local_fields=EVENT,
                    credit_line="Photo: A. Photographer, CC BY 4.0",
                    allow_smaller=True,
                )
                try:
                    result, report = render_with_layout(request)
                except RenderError as exc:
                    cells.append(f"<td><p class=err>{html.escape(str(exc))}</p></td>")
                    continue
                (out / f"{stem}.jpg").write_bytes(result.data)
                (out / f"{stem}.json").write_text(json.dumps(report, indent=1))
                note = html.escape("; ".join(result.warnings)) or "&nbsp;"
                cells.append(
                    f'<td><a href="{stem}.jpg"><img src="{stem}.jpg" alt="{stem}"></a>'
                    f"<p>{preset.key} · {report['placement']}</p><p class=w>{note}</p></td>"
                )
            rows.append(f"<tr><th>{image_name}<br>{profile_name}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{p.name}<br>{p.width}×{p.height}</th>" for p in presets)
    page = f"""<!doctype html><html lang=en><meta charset=utf-8><title>Branded renders</title>
<style>body{{font:14px sans-serif}}img{{max-width:220px;max-height:260px;display:block}}
td,th{{vertical-align:top;padding:4px;border-bottom:1px solid #ccc}}p{{margin:2px}}
.w{{color:#a40;font-size:11px;max-width:220px}}.err{{color:#b00;max-width:220px}}</style>
<h1>Branded renders: every social preset × profile × test image</h1>
<table><tr><th></th>{head}</tr>{"".join(rows)}</table></html>"""
    (out / "index.html").write_text(page)
    return out / "index.html"


if __name__ == "__main__":
    main()
