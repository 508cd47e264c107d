"""Settings: read once from ASSETS_HUB_* variables into one frozen object (the only reader)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from assets_hub.errors import ConfigError

PREFIX = "ASSETS_HUB_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every knob of the service. The variable is ``ASSETS_HUB_`` + the field name in upper case."""

    database_url: str = _setting(
        "sqlite://./var/assets-hub.sqlite3",
        "Database: sqlite://PATH (embedded) or postgres://USER@HOST:PORT/DB.",
    )
    storage_url: str = _setting(
        "file://./var/storage",
        "Object storage: file://DIR, or s3://BUCKET?endpoint_url=URL&region=R for any "
        "S3-compatible service (credentials from boto3's usual chain).",
    )
    search_url: str = _setting(
        "embedded://./var/search",
        "Search engine: embedded://DIR (in-process), or meilisearch+http(s)://HOST:PORT"
        "?api_key=KEY&index=NAME.",
    )
    tmp_dir: str = _setting("./var/tmp", "Where uploads are spooled while they arrive.")
    max_upload_mb: int = _setting(50, "Largest image upload, in MiB (counted on bytes received).")
    max_pdf_upload_mb: int = _setting(100, "Largest PDF upload, in MiB.")
    upload_min_kib_per_s: int = _setting(
        16, "Slowest average upload speed accepted once the grace period is over (KiB/s)."
    )
    upload_grace_s: int = _setting(
        30, "Seconds an upload may run before its average speed is checked."
    )
    upload_idle_s: int = _setting(30, "Seconds an upload may send nothing before it is cut off.")
    max_image_pixels: int = _setting(50_000_000, "Largest image area accepted, in pixels.")
    max_image_side_px: int = _setting(12_000, "Longest image side accepted, in pixels.")
    max_frames: int = _setting(1000, "Most frames accepted in an animated image.")
    max_pdf_pages: int = _setting(500, "Most pages accepted in a PDF.")
    presign_expiry_s: int = _setting(300, "Lifetime of presigned download URLs, in seconds.")
    delete_undo_days: int = _setting(
        30, "How long a deleted asset can be brought back before `assets-hub gc` purges it."
    )
    orphan_grace_min: int = _setting(
        60, "Stored files no database row refers to are removed by `gc` after this many minutes."
    )
    storage_min_free_mb: int = _setting(
        1024,
        "`/readyz` warns when local storage has less free space than this, in MiB (0: never).",
    )
    search_timeout_s: float = _setting(2.0, "Longest wait for the search engine, in seconds.")
    indexer_interval_s: float = _setting(
        1.0, "How often the search indexer looks for outbox rows, in seconds."
    )
    environment: str = _setting(
        "development", "development or production (production refuses unsafe defaults)."
    )
    secret_key: str = _setting(
        "",
        "At least 32 random characters used to sign URLs; required in production. In "
        "development a random key is made at each start.",
    )
    base_url: str = _setting(
        "http://127.0.0.1:8000", "The address people use to reach the service (for e-mailed links)."
    )
    public_catalogue: bool = _setting(
        False,
        "Let visitors who are not signed in browse published, unembargoed, unexpired assets.",
    )
    four_eyes: bool = _setting(
        False,
        "Four-eyes publishing: whoever publishes an asset must be neither its uploader nor "
        "the last person who edited it.",
    )
    smtp_url: str = _setting(
        "",
        "Mail server: smtp://USER:PASSWORD@HOST:587?from=ADDRESS (STARTTLS) or smtps://… "
        "Unset: mails are written to the log (development only).",
    )
    rate_limit_url: str = _setting(
        "async+memory://",
        "Where sign-in throttling counters live: async+memory:// (each process counts on "
        "its own, also each serve --workers worker) or async+redis://HOST:6379 (shared by "
        "every worker and replica; ?key_prefix=NAME keeps deployments that share one Redis "
        "apart).",
    )
    session_idle_staff_min: int = _setting(
        30, "Idle timeout of editors' and admins' sessions, in minutes."
    )
    session_idle_library_min: int = _setting(
        480, "Idle timeout of library staff sessions, in minutes."
    )
    session_absolute_staff_h: int = _setting(
        12, "Longest life of an editor's or admin's session, in hours."
    )
    session_absolute_library_h: int = _setting(
        168, "Longest life of a library staff session, in hours."
    )
    invitation_expiry_h: int = _setting(72, "How long an invitation link works, in hours.")
    password_reset_expiry_min: int = _setting(
        30, "How long a password-reset link works, in minutes (at most 30)."
    )
    pack_sync_max_renditions: int = _setting(
        40,
        "Campaign packs with at most this many branded images stream at once; larger ones are "
        "built in the background and get a status page and a download link when ready.",
    )
    pack_max_renditions: int = _setting(
        1000, "Most branded images in one campaign pack; larger requests are refused (422)."
    )
    pack_keep_hours: int = _setting(
        24, "How long a pack built in the background stays downloadable, in hours."
    )
    queue_url: str = _setting(
        "",
        "Background task queue: inprocess:// (tasks run inside the web process), or "
        "postgres://USER@HOST:PORT/DB for procrastinate (run `assets-hub worker`). Empty: "
        "procrastinate on the database when it is PostgreSQL, else in-process.",
    )
    web_task_workers: int = _setting(
        1,
        "Background tasks each web process runs at once (0: none, leave them to "
        "`assets-hub worker`; with the in-process queue a web process must run some).",
    )
    queue_stalled_s: float = _setting(
        30.0,
        "A queue worker silent for this long is taken as dead and its tasks are run again "
        "by another (procrastinate; seconds, at least 3).",
    )
    caption_limits: str = _setting(
        "",
        "Caption limits that differ from the built-in ones, e.g. x=280,bluesky=300 "
        "(platforms: x, bluesky, threads, instagram, facebook, linkedin).",
    )
    download_retention_days: int = _setting(
        395,
        "Raw download events (asset, library, size, time; never a person) older than this many "
        "days are deleted; the daily roll-ups behind the figures and open data are kept.",
    )
    open_data_refresh_s: int = _setting(
        60, "The open data files are rebuilt from the roll-ups at most this often, in seconds."
    )
    debug: bool = _setting(False, "Show tracebacks in responses. Never in production.")
    log_level: str = _setting("info", "Logging level: debug, info, warning, error.")
    log_format: str = _setting(
        "json",
        "json (one JSON object per line, for a log shipper) or text (plain lines, for a "
        "developer's terminal).",
    )
    metrics_token: str = _setting(
        "",
        "Bearer token that lets a scraper off this machine read /metrics (loopback needs "
        "none). Empty: /metrics answers loopback only.",
    )
    metrics_dir: str = _setting(
        "./var/metrics",
        "Where worker processes share their metrics when `serve` runs more than one "
        "(emptied at each start).",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from a mapping; every bad variable is reported at once, one per line."""
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        known = {f.name for f in dataclasses.fields(cls)}
        for name in environ:
            # A misspelt variable would otherwise be silently ignored.
            if name.startswith(PREFIX) and name[len(PREFIX) :].lower() not in known:
                if not name.startswith(PREFIX + "TEST_"):
                    problems[name] = "unknown setting (see docs/settings.md)"
        for f in dataclasses.fields(cls):
            variable = PREFIX + f.name.upper()
            if variable not in environ:
                continue
            try:
                values[f.name] = _cast(hints[f.name], environ[variable].strip())
            except ValueError as exc:
                problems[variable] = str(exc)
        if problems:
            raise ConfigError(problems)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check values that no type cast catches."""
        problems: dict[str, str] = {}
        for name in (
            "max_upload_mb",
            "max_pdf_upload_mb",
            "max_image_pixels",
            "max_frames",
            "upload_min_kib_per_s",
            "upload_grace_s",
            "upload_idle_s",
        ):
            if getattr(self, name) <= 0:
                problems[PREFIX + name.upper()] = "must be a positive number"
        if not 1 <= self.presign_expiry_s <= 300:
            problems[PREFIX + "PRESIGN_EXPIRY_S"] = "must be between 1 and 300 seconds"
        if self.environment not in {"development", "production"}:
            problems[PREFIX + "ENVIRONMENT"] = "use development or production"
        if self.environment == "production":
            if len(self.secret_key) < 32:
                problems[PREFIX + "SECRET_KEY"] = (
                    "production needs at least 32 random characters (e.g. `openssl rand -hex 32`)"
                )
            if self.debug:
                problems[PREFIX + "DEBUG"] = "must be off in production"
        elif self.secret_key and len(self.secret_key) < 32:
            problems[PREFIX + "SECRET_KEY"] = "use at least 32 random characters"
        if self.pack_sync_max_renditions < 0:
            problems[PREFIX + "PACK_SYNC_MAX_RENDITIONS"] = "must be 0 or more"
        if self.pack_max_renditions <= 0:
            problems[PREFIX + "PACK_MAX_RENDITIONS"] = "must be a positive number"
        if self.web_task_workers < 0:
            problems[PREFIX + "WEB_TASK_WORKERS"] = "must be 0 or more"
        if self.queue_stalled_s < 3:
            problems[PREFIX + "QUEUE_STALLED_S"] = "must be at least 3 seconds"
        if self.pack_keep_hours <= 0:
            problems[PREFIX + "PACK_KEEP_HOURS"] = "must be a positive number"
        if self.download_retention_days < 1:
            problems[PREFIX + "DOWNLOAD_RETENTION_DAYS"] = "must be at least 1 day"
        if not 0 <= self.open_data_refresh_s <= 300:
            problems[PREFIX + "OPEN_DATA_REFRESH_S"] = "must be between 0 and 300 seconds"
        if not 1 <= self.password_reset_expiry_min <= 30:
            problems[PREFIX + "PASSWORD_RESET_EXPIRY_MIN"] = "must be between 1 and 30 minutes"
        if self.log_level.lower() not in {"debug", "info", "warning", "error"}:
            problems[PREFIX + "LOG_LEVEL"] = "use one of debug, info, warning, error"
        if self.log_format not in {"json", "text"}:
            problems[PREFIX + "LOG_FORMAT"] = "use json or text"
        if self.metrics_token and len(self.metrics_token) < 32:
            problems[PREFIX + "METRICS_TOKEN"] = "use at least 32 random characters"
        if problems:
            raise ConfigError(problems)

    def public_url(self, path: str) -> str:
        """``path`` at the address people use (ASSETS_HUB_BASE_URL), for links sent away."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and the CLI's flags)."""
        return dataclasses.replace(self, **changes)


def _cast(kind: Any, raw: str) -> Any:
    if kind is bool:
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if not raw:
        raise ValueError("must not be empty")
    return raw


def documented_settings() -> list[tuple[str, Any, str]]:
    """(variable, default, help) for every setting; docs/settings.md must list each one."""
    fields = dataclasses.fields(Settings)
    return [(PREFIX + f.name.upper(), f.default, f.metadata["help"]) for f in fields]


def settings_table() -> str:
    """The Markdown table of every setting, as docs/settings.md shows it (`make docs`)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for variable, default, help_text in documented_settings():
        shown = f"`{default}`" if default != "" else "(empty)"
        rows.append(f"| `{variable}` | {shown} | {help_text} |")
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - `make docs` rewrites the table in place
    import pathlib
    import re
    import sys

    doc = pathlib.Path(sys.argv[1])
    text = doc.read_text()
    pattern = re.compile(r"(<!-- settings:start -->\n).*?(<!-- settings:end -->)", re.S)
    doc.write_text(pattern.sub(lambda m: m.group(1) + settings_table() + "\n" + m.group(2), text))
