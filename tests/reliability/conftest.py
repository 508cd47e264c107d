"""Fixtures for the reliability tests: the app on local storage or on SeaweedFS's S3."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assets_hub.settings import Settings
from tests.reliability.rigs import proxy, rig

__all__ = ["proxy", "rig"]  # the S3 fault rig's fixtures, for every test here


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Settings:
    """Settings on a fresh local storage directory or a fresh bucket (SeaweedFS started lazily)."""
    if request.param == "s3":
        return make_settings(storage_url=request.getfixturevalue("s3_storage_url"))
    return make_settings()
