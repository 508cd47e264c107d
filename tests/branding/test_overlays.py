"""Template documents: the default parses; bad documents name the bad path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assets_hub.branding.overlays import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEMPLATE_DOCUMENT,
    TemplateError,
    parse_template,
)


def test_default_template_is_valid_and_fingerprinted() -> None:
    assert DEFAULT_TEMPLATE.band is not None and DEFAULT_TEMPLATE.band.edge == "bottom"
    assert {s.key for s in DEFAULT_TEMPLATE.text} == {"name", "contact", "title", "when", "extra"}
    assert DEFAULT_TEMPLATE.qr is not None and DEFAULT_TEMPLATE.credit is not None
    again = parse_template(copy.deepcopy(DEFAULT_TEMPLATE_DOCUMENT))
    assert again.fingerprint == DEFAULT_TEMPLATE.fingerprint
    changed = copy.deepcopy(DEFAULT_TEMPLATE_DOCUMENT)
    changed["band"]["thickness"] = 0.3
    assert parse_template(changed).fingerprint != DEFAULT_TEMPLATE.fingerprint


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DEFAULT_TEMPLATE_DOCUMENT)
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["schema"], 2, "schema: must be 1"),
        (["name"], "", "name: must be text of 1 to 100 characters"),
        (["band", "edge"], "middle", "band.edge: must be one of top, bottom, left, right"),
        (["band", "thickness"], 0.9, "band.thickness: must be at most 0.5"),
        (["band", "colour"], "#ff0000", "band.colour: must be one of primary, secondary"),
        (["logo", "box"], [0.9, 0.1, 0.2, 0.5], "logo.box: must lie inside its region"),
        (["logo", "box"], [0.1, 0.1, 0.2], "logo.box: must be [x, y, width, height]"),
        (["text", 1, "font_size", 0], "big", "text[1].font_size[0]: must be a number from 0 to 1"),
        (["text", 1, "font_size"], [0.05, 0.01], "text[1].font_size: minimum must not exceed"),
        (["text", 0, "fields", 1], "password", "text[0].fields[1]: must be one of"),
        (["text", 0, "max_lines"], 0, "text[0].max_lines: must be a whole number from 1 to 12"),
        (["text", 0, "font"], "Comic Sans", "text[0].font: unknown font 'Comic Sans'"),
        (["text", 0, "colour"], "red", "text[0].colour: is not a known setting"),
        (["text", 2, "plate"], False, "text[2].plate: text on the photo needs a plate"),
        (["text", 0, "max_length"], 5000, "text[0].max_length: must be a whole number"),
        (["qr", "min_module_px"], 0, "qr.min_module_px: must be a whole number from 1 to 20"),
        (["credit", "box"], "bottom", "credit.box: must be [x, y, width, height]"),
        (["script"], "alert(1)", "script: is not a known setting"),
        (["band"], None, "logo.region: is 'band' but the template has no band"),
        (["text", 1, "key"], "name", "text: slot keys must be unique"),
    ],
)
def test_bad_documents_name_the_path(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(_with(path, value))
    assert message in str(caught.value)


def test_non_object_document_is_refused() -> None:
    with pytest.raises(TemplateError, match="must be an object"):
        parse_template(["not", "a", "template"])
