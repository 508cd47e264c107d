"""Errors shared by every layer: each carries an HTTP status and a message people understand."""

from __future__ import annotations

import errno


class AppError(Exception):
    """A failure the user can be told about; rendered as JSON or an HTML error page."""

    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    """Not signed in (pages redirect to the sign-in page instead)."""

    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class RequestTimeout(AppError):
    status_code = 408


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class UnsupportedMediaType(AppError):
    status_code = 415


class Unprocessable(AppError):
    status_code = 422


class TooManyRequests(AppError):
    """Throttled; ``retry_after_s`` says when to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class ServiceUnavailable(AppError):
    """A dependency is down; the client may retry later (answered with Retry-After)."""

    status_code = 503
    retry_after_s = 30


class BackendUnavailable(ServiceUnavailable):
    """A storage, search or database backend did not answer."""

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(f"{backend} is temporarily unavailable: {detail}")
        self.backend = backend
        self.detail = detail


class StorageFull(AppError):
    """The storage has no room left (ENOSPC, a quota, a file-size limit): 507, nothing kept."""

    status_code = 507

    def __init__(self, detail: str = "") -> None:
        super().__init__("storage is full; nothing was saved")
        self.detail = detail


# OSError numbers meaning "no room", as opposed to a storage that cannot be reached (EFBIG:
# a file-size limit such as RLIMIT_FSIZE).
NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def storage_error(action: str, exc: OSError) -> AppError:
    """StorageFull when ``exc`` says the disk is full, else BackendUnavailable (storage)."""
    if exc.errno in NO_ROOM_ERRNOS:
        return StorageFull(f"{action}: {exc.strerror}")
    return BackendUnavailable("storage", f"{action}: {exc.strerror or exc}")


class BlobNotFound(NotFound):
    """The storage backend has no object under that key."""

    def __init__(self, key: str) -> None:
        super().__init__("the stored file is missing")
        self.key = key


class InvalidKey(ValueError):
    """A storage key that is not of the server-generated form."""


class ConfigError(Exception):
    """Settings that cannot work; one line per offending environment variable."""

    def __init__(self, problems: dict[str, str] | str, message: str | None = None) -> None:
        if isinstance(problems, str):
            problems = {problems: message or "invalid value"}
        self.problems = problems
        super().__init__("\n".join(f"{name}: {text}" for name, text in problems.items()))
