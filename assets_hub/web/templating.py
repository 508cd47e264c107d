"""The Jinja2 environment for pages (templates/ at the repository root), autoescape always on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


def _filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _account_context(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in and the session's CSRF token for its forms."""
    from assets_hub.auth.policy import principal_of  # late: auth imports models

    principal = principal_of(request)
    return {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
    }


def make_templates() -> Jinja2Templates:
    """Templates with autoescape for every file, and strict undefined so typos fail loudly."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["filesize"] = _filesize
    return Jinja2Templates(env=env, context_processors=[_account_context])


templates = make_templates()
