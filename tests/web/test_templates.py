"""Every template renders user text escaped (SECURITY.md INJ-01, INJ-02, INJ-05).

Each template is rendered with a canary in every variable it uses: markup, an attribute
breakout and template syntax. The raw canary must never come out; its escaped form must (so
the variable really was rendered). A template without a context here fails the test, so a new
template cannot skip it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import jinja2.meta
import pytest
from markupsafe import Markup
from starlette.datastructures import QueryParams

from assets_hub.web.pages import _safe_highlight
from assets_hub.web.templating import TEMPLATES_DIR, NavItem, templates
from tests.api.test_pack_jobs import pack_template_contexts
from tests.web.test_campaign_pages import campaign_template_contexts
from tests.web.test_design_pages import design_template_contexts
from tests.web.test_editor_pages import EDITOR_MACRO_CALLER, editor_template_contexts
from tests.web.test_journey_pages import journey_template_contexts
from tests.web.test_library_pages import LIBRARY_CONTEXTS

CANARY = '<script>alert("x")</script>"><img src=x onerror=alert(1)>{{7*7}}'
RAW = ("<script>", "<img src=x", '"><img')
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"

ENV = templates.env


def _asset() -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        title=CANARY,
        description=CANARY,
        kind=CANARY,
        campaign=SimpleNamespace(name=CANARY, slug=CANARY),
        tags=[SimpleNamespace(name=CANARY)],
        alt_text=CANARY,
    )


def _version() -> SimpleNamespace:
    return SimpleNamespace(
        filename=CANARY,
        media_type=CANARY,
        size=123_456,
        width=1200,
        height=800,
        page_count=None,
        thumbnail_key=CANARY,
        master_key=CANARY,
    )


def _account() -> dict[str, Any]:
    """What the context processor adds to every page, with canaries."""
    return {
        "principal": SimpleNamespace(email=CANARY, role=SimpleNamespace(value="editor")),
        "csrf_token": CANARY,
        "navigation": [NavItem(CANARY, "/", True), NavItem(CANARY, "/x", False)],
    }


def _search() -> dict[str, Any]:
    asset = _asset()
    params = QueryParams(
        [("q", CANARY), ("kind", CANARY), ("campaign", CANARY), ("tag", CANARY), ("page", "2")]
    )
    return {
        "query": SimpleNamespace(text=CANARY, page=2, sort="relevance"),
        "result": SimpleNamespace(
            assets=[asset],
            versions={asset.id: _version()},
            highlights={},
            total=3,
            suggestion=CANARY,
            facets={"kind": {CANARY: 3}, "campaign": {CANARY: 2}, "tags": {CANARY: 1}},
        ),
        # What pages.py passes: engine highlights with only <mark> kept.
        "titles": {asset.id: _safe_highlight(f"<mark>{CANARY}</mark>")},
        "error": CANARY,
        "pages": 5,
        "params": params,
        "campaign_names": {CANARY: CANARY},
    }


CONTEXTS: dict[str, dict[str, Any]] = {
    "base.html": {},
    "account/message.html": {"heading": CANARY, "message": CANARY},
    "account/reset_request.html": {},
    "account/set_password.html": {"heading": CANARY, "email": CANARY, "error": CANARY},
    "account/signin.html": {"email": CANARY, "error": CANARY, "next": CANARY},
    "assets/asset.html": {
        "asset": _asset(),
        "version": _version(),
        "rights": {"licence": CANARY, "terms": CANARY, "credit": CANARY, "credit_required": True},
        "similar": [SimpleNamespace(id=uuid.uuid4(), title=CANARY)],
        "can_edit": True,
        "study_html": "",
        "post_images": [
            SimpleNamespace(asset=_asset(), alt_text=CANARY, decorative=False),
        ],
        "profiles": [SimpleNamespace(id=1, label=CANARY)],
        "profile": 1,
        "profile_error": CANARY,
        "branded": True,
    },
    "assets/search.html": _search(),
    "errors/error.html": {"heading": CANARY, "message": CANARY, "reference": CANARY},
    "pages/accessibility.html": {},
}
# Macro libraries are rendered through a small caller template instead.
MACROS = {
    "macros/forms.html": (
        '{% from "macros/forms.html" import error_summary, input %}'
        "{{ error_summary({'field': c}) }}"
        "{{ input('field', c, {'field': c}, value=c, hint=c, autocomplete='off') }}"
    ),
}

# The campaign team's pages keep their canary contexts beside their own tests.
CONTEXTS.update(editor_template_contexts(CANARY))
CONTEXTS.update(LIBRARY_CONTEXTS)
MACROS["editor/fields.html"] = EDITOR_MACRO_CALLER
CONTEXTS.update(campaign_template_contexts(CANARY))
CONTEXTS.update(pack_template_contexts(CANARY))
CONTEXTS.update(design_template_contexts(CANARY))
CONTEXTS.update(journey_template_contexts(CANARY))


def _all_templates() -> list[str]:
    return sorted(
        str(path.relative_to(TEMPLATES_DIR)) for path in Path(TEMPLATES_DIR).rglob("*.html")
    )


def test_every_template_has_a_canary_context() -> None:
    missing = [name for name in _all_templates() if name not in CONTEXTS and name not in MACROS]
    assert not missing, f"add a canary context for {missing} in {__file__}"


def test_autoescape_is_on_for_every_template() -> None:
    assert ENV.autoescape is True
    assert isinstance(ENV.undefined, type) and issubclass(ENV.undefined, jinja2.StrictUndefined)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_escapes_a_canary_in_every_variable(name: str) -> None:
    context = {**_account(), **CONTEXTS[name]}
    source = ENV.loader.get_source(ENV, name)[0]  # type: ignore[union-attr]
    used = jinja2.meta.find_undeclared_variables(ENV.parse(source))
    imported = set(re.findall(r"\{%-?\s*from\s+\S+\s+import\s+([\w, ]+?)\s*-?%\}", source))
    macros = {part.strip() for group in imported for part in group.split(",")}
    provided = set(context) | set(ENV.globals) | macros | {"request"}
    assert used <= provided, f"{name} uses {sorted(used - provided)}: add them to its context"
    html = ENV.get_template(name).render(context)
    for raw in RAW:
        assert raw not in html, f"{name} let {raw!r} through unescaped"
    assert ">49<" not in html, f"{name} evaluated template syntax found in data"
    if used - {"principal", "csrf_token", "navigation"} - macros or name == "base.html":
        assert ESCAPED in html, f"{name} did not render the canary at all"
        assert "{{7*7}}" in html, f"{name} did not show template syntax literally"


def test_signed_in_header_escapes_the_email_and_token() -> None:
    html = ENV.get_template("base.html").render(_account())
    assert 'name="csrf_token" value="&lt;script&gt;' in html
    assert f"Signed in as {ESCAPED}" in html.replace("&#39;", "'")


def test_search_highlights_keep_only_mark_tags() -> None:
    html = ENV.get_template("assets/search.html").render({**_account(), **_search()})
    assert f"<mark>{ESCAPED}" in html, "the engine's <mark> survives, the title is escaped"


def test_macros_escape_every_argument() -> None:
    for name, caller in MACROS.items():
        html = ENV.from_string(caller).render(c=CANARY)
        for raw in RAW:
            assert raw not in html, f"{name} let {raw!r} through unescaped"
        assert ESCAPED in html


def test_no_template_marks_data_as_safe() -> None:
    """No ``|safe``, ``Markup`` or ``autoescape false`` in templates (INJ-02)."""
    offending = []
    for name in _all_templates():
        text = (Path(TEMPLATES_DIR) / name).read_text()
        if re.search(r"\|\s*safe\b|Markup|autoescape\s+false", text):
            offending.append(name)
    assert not offending


def test_template_syntax_in_data_is_not_evaluated() -> None:
    """INJ-05: a title of ``{{7*7}}`` displays literally."""
    asset = _asset()
    asset.title = "{{7*7}}"
    html = ENV.get_template("assets/asset.html").render(
        {**_account(), **CONTEXTS["assets/asset.html"], "asset": asset}
    )
    assert "{{7*7}}" in html and ">49<" not in html


def test_urls_built_from_state_are_encoded() -> None:
    html = ENV.get_template("assets/search.html").render({**_account(), **_search()})
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all("<" not in href and '"' not in href for href in hrefs)
    assert isinstance(_safe_highlight("x"), Markup)
