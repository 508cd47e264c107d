"""Logging: JSON lines (or plain text in development), the request id, and the access line.

The access line is ours, not uvicorn's: it names the route template (``/feeds/{token}/{name}``),
so feed tokens, signed render links and invitation or reset tokens in a path never reach a log
(SECURITY.md LOG-02). Only the fields listed in ``ACCESS_FIELDS`` are ever written for a request.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from assets_hub.settings import Settings

ACCESS_LOGGER = "assets_hub.request"
ACCESS_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "user_id")
# Loggers that would otherwise write a line on every command or request.
_QUIET = {
    "pikepdf._core": logging.WARNING,  # "pikepdf C++ to Python logger bridge initialized"
}
# What a caller's X-Request-ID may be: short, and nothing that could forge or split a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "assets_hub_request_id", default=None
)


def accept_request_id(supplied: str | None) -> str:
    """The caller's X-Request-ID when it is safe to log and echo, else a new one."""
    if supplied is not None and _REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    """Stamps every record made while a request is answered with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines for a developer's terminal; CR and LF in messages are escaped (INJ-08)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")
        if record.name == ACCESS_LOGGER:
            shown = ("duration_ms", "user_id", "request_id")
            return text + "".join(f" {name}={getattr(record, name, None)}" for name in shown)
        request_id = getattr(record, "request_id", None)
        return f"{text} request_id={request_id}" if request_id else text


def access_record_fields(
    request_id: str, method: str, route: str, status: int, duration_s: float, user_id: int | None
) -> dict[str, Any]:
    """The ``extra`` of one access line: exactly ``ACCESS_FIELDS``."""
    return {
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(duration_s * 1000, 2),
        "user_id": user_id,
    }


def quiet_noisy_loggers() -> None:
    """Silence libraries' routine INFO lines (every CLI command calls this)."""
    for name, level in _QUIET.items():
        logging.getLogger(name).setLevel(level)


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    """The service's logging: one handler on ``stream`` (stdout) in the chosen format, the
    request id on every line, and uvicorn's own access log switched off (ours replaces it)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # uvicorn's access line holds the raw path (tokens): off, even when started by `uvicorn`.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    quiet_noisy_loggers()
