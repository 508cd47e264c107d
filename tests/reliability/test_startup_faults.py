"""F20: the server is started while its storage is unreachable.

It exits with a non-zero code and one line naming the setting to look at (its supervisor
restarts it), instead of serving requests that would all fail or a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from assets_hub.settings import Settings
from tests.servers import free_ports


def test_start_with_storage_down_exits_with_a_clear_message(
    make_settings: Callable[..., Settings],
) -> None:
    (dead,) = free_ports(1)  # nothing listens here: connections are refused
    settings = make_settings(storage_url=f"s3://nowhere?endpoint_url=http://127.0.0.1:{dead}")
    env = {
        **os.environ,
        "ASSETS_HUB_DATABASE_URL": settings.database_url,
        "ASSETS_HUB_STORAGE_URL": settings.storage_url,
        "ASSETS_HUB_SEARCH_URL": settings.search_url,
        "ASSETS_HUB_TMP_DIR": settings.tmp_dir,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    started = subprocess.run(
        [sys.executable, "-m", "assets_hub", "serve", "--port", "8699"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode != 0
    output = started.stdout + started.stderr
    assert "ASSETS_HUB_STORAGE_URL" in output and "Traceback" not in output, output
