"""Settings come from ASSETS_HUB_* variables only, and every problem is reported at once."""

from __future__ import annotations

import pytest

from assets_hub.errors import ConfigError
from assets_hub.settings import Settings


def test_defaults_are_embedded_backends_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite://./var/")
    assert settings.storage_url == "file://./var/storage"
    assert settings.search_url.startswith("embedded://./var/")
    assert settings.max_upload_mb == 50 and settings.max_pdf_upload_mb == 100


def test_values_are_cast_by_type() -> None:
    settings = Settings.from_env(
        {"ASSETS_HUB_MAX_UPLOAD_MB": "12", "ASSETS_HUB_DEBUG": "yes", "PATH": "/bin"}
    )
    assert settings.max_upload_mb == 12
    assert settings.debug is True


def test_every_bad_variable_is_named_on_its_own_line() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "ASSETS_HUB_MAX_UPLOAD_MB": "lots",
                "ASSETS_HUB_DEBUG": "maybe",
                "ASSETS_HUB_STORAGE_ULR": "file://x",
                "ASSETS_HUB_PRESIGN_EXPIRY_S": "3600",
            }
        )
    lines = str(caught.value).splitlines()
    assert "ASSETS_HUB_MAX_UPLOAD_MB: expected a whole number, got 'lots'" in lines
    assert "ASSETS_HUB_DEBUG: expected true or false, got 'maybe'" in lines
    assert any(line.startswith("ASSETS_HUB_STORAGE_ULR: unknown setting") for line in lines)


def test_range_checks_run_after_casting() -> None:
    with pytest.raises(ConfigError, match="ASSETS_HUB_PRESIGN_EXPIRY_S: must be between 1 and 300"):
        Settings.from_env({"ASSETS_HUB_PRESIGN_EXPIRY_S": "3600"})


def test_test_variables_are_not_settings() -> None:
    Settings.from_env({"ASSETS_HUB_TEST_POSTGRES_URL": "postgres://x@y/z"})
