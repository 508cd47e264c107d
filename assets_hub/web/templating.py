"""The Jinja2 environment for pages (templates/ at the repository root), autoescape always on.

Besides the environment, this module holds the small helpers templates call: the navigation
for the signed-in role, search URLs that keep the rest of the search state, and the window of
page numbers shown by the pagination component.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.routing import NoMatchFound
from starlette.templating import Jinja2Templates

from assets_hub.social.captions import readable_template

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

# The search parameters a page of results keeps in its URL, in a stable order.
SEARCH_PARAMS = ("q", "kind", "campaign", "tag", "sort", "page")


@dataclass(frozen=True)
class NavItem:
    """One link of the service navigation."""

    text: str
    href: str
    active: bool


# (text, route name, roles that see it; None: every signed-in user). Items whose route does
# not exist yet (upload, review) are left out, so the navigation never links to a 404.
_NAVIGATION: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("Home", "home", None),
    ("Search", "search", None),
    ("Campaigns", "campaigns", None),
    ("Upload", "upload", frozenset({"editor", "admin"})),
    ("Review", "review", frozenset({"editor", "admin"})),
    ("Templates", "templates", frozenset({"editor", "admin"})),
    ("Sizes", "presets", frozenset({"admin"})),
    ("My library", "my_library", frozenset({"library_admin", "library_member"})),
    ("Audit log", "editor_audit", frozenset({"editor", "admin", "library_admin"})),
    ("Usage", "analytics", frozenset({"editor", "admin"})),
    ("Synonyms", "synonyms", frozenset({"editor", "admin"})),
)


def _filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _pairs(params: Any) -> list[tuple[str, str]]:
    """(name, value) pairs of a QueryParams or a plain mapping, multi-values kept."""
    if hasattr(params, "multi_items"):
        return [(str(k), str(v)) for k, v in params.multi_items()]
    return [(str(k), str(v)) for k, v in dict(params).items()]


def search_url(
    params: Any,
    *,
    remove: tuple[str, str] | None = None,
    page: int | None = None,
) -> str:
    """The search page's URL with the current state, minus one filter or on another page.

    Removing a filter goes back to page 1; unknown parameters are dropped; empty values too.
    """
    kept: list[tuple[str, str]] = []
    for name, value in _pairs(params):
        if name not in SEARCH_PARAMS or name == "page" or not value:
            continue
        if remove is not None and (name, value) == remove:
            continue
        kept.append((name, value))
    kept.sort(key=lambda pair: SEARCH_PARAMS.index(pair[0]))
    if page is not None and page > 1:
        kept.append(("page", str(page)))
    return "/?" + urlencode(kept) if kept else "/"


def page_window(current: int, total: int, *, around: int = 1) -> list[int | None]:
    """Page numbers for the pagination component: first, last, current ± around; None = gap."""
    if total <= 1:
        return [1]
    wanted = {1, total, *range(max(1, current - around), min(total, current + around) + 1)}
    out: list[int | None] = []
    previous = 0
    for number in sorted(wanted):
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


def _route_path(request: Request, name: str) -> str | None:
    """The path of a parameterless route, or None while no such route exists."""
    try:
        return str(request.app.router.url_path_for(name))
    except NoMatchFound:
        return None


def navigation_for(request: Request, role: str | None) -> list[NavItem]:
    """Service navigation links for a signed-in role (none for visitors)."""
    if role is None:
        return []
    path = request.url.path
    items: list[NavItem] = []
    for text, name, roles in _NAVIGATION:
        if roles is not None and role not in roles:
            continue
        href = _route_path(request, name)
        if href is None:
            continue
        active = path == href if href == "/" else path.startswith(href)
        if name == "search" and path.startswith("/assets/"):
            active = True
        items.append(NavItem(text, href, active))
    return items


def _account_context(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in, the CSRF token for its forms, and its navigation."""
    from assets_hub.auth.policy import principal_of  # late: auth imports models

    principal = principal_of(request)
    role = principal.role.value if principal is not None else None
    return {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
        "navigation": navigation_for(request, role) if "app" in request.scope else [],
    }


def _label(value: str, names: Mapping[str, str] | None = None) -> str:
    """A facet value as people read it: a campaign's name, or the value with spaces."""
    if names is not None and value in names:
        return names[value]
    return value.replace("_", " ")


def _getlist(params: Any, name: str) -> Iterable[str]:
    if hasattr(params, "getlist"):
        return [str(v) for v in params.getlist(name)]
    value = dict(params).get(name)
    return [str(value)] if value else []


def make_templates() -> Jinja2Templates:
    """Templates with autoescape for every file, and strict undefined so typos fail loudly."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["filesize"] = _filesize
    env.filters["label"] = _label
    env.filters["readable"] = readable_template
    env.globals["search_url"] = search_url
    env.globals["page_window"] = page_window
    env.globals["getlist"] = _getlist
    return Jinja2Templates(env=env, context_processors=[_account_context])


templates = make_templates()
