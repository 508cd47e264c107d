"""A malformed or unreachable backend stops start-up with one line naming the variable."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from assets_hub.backends import describe_startup_error, open_backends
from assets_hub.cli import main
from assets_hub.errors import BackendUnavailable, ConfigError
from assets_hub.settings import Settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("storage_url", "ftp://example.org/x", "ASSETS_HUB_STORAGE_URL"),
        ("search_url", "elastic://localhost", "ASSETS_HUB_SEARCH_URL"),
        ("database_url", "mysql://root@localhost/x", "ASSETS_HUB_DATABASE_URL"),
        ("database_url", "sqlite://", "ASSETS_HUB_DATABASE_URL"),
    ],
)
async def test_malformed_url_names_the_variable(
    make_settings: Callable[..., Settings], field: str, value: str, variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        async with open_backends(make_settings(**{field: value})):
            pass
    line = describe_startup_error(caught.value)
    assert line is not None and line.startswith(f"{variable}: ")
    assert "\n" not in line


async def test_unreachable_database_names_the_variable(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(database_url=f"postgres://nobody@127.0.0.1:{_closed_port()}/nothing")
    with pytest.raises(BackendUnavailable) as caught:
        async with open_backends(settings):
            pass
    line = describe_startup_error(caught.value)
    assert line is not None and line.startswith("ASSETS_HUB_DATABASE_URL: ")


async def test_unusable_storage_directory_names_the_variable(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage directory should be")
    with pytest.raises(BackendUnavailable) as caught:
        async with open_backends(make_settings(storage_url=f"file://{blocker}")):
            pass
    line = describe_startup_error(caught.value)
    assert line is not None and line.startswith("ASSETS_HUB_STORAGE_URL: ")


def test_serve_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": "ftp://example.org/x",
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "assets-hub: ASSETS_HUB_STORAGE_URL: unknown scheme 'ftp' in 'ftp://example.org/x'; "
        "use one of file, s3"
    ]
    assert "Traceback" not in result.output


def test_bad_setting_value_exits_2_naming_it() -> None:
    result = CliRunner().invoke(main, ["check"], env={"ASSETS_HUB_MAX_UPLOAD_MB": "many"})
    assert result.exit_code == 2
    assert "ASSETS_HUB_MAX_UPLOAD_MB: expected a whole number" in result.output


def test_check_reports_each_backend(tmp_path: Path) -> None:
    env = {
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
        "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp_path / 'search'}",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    result = runner.invoke(main, ["check"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("database  ok")
    assert lines[1].startswith("storage   ok")
    assert lines[2].startswith("search    ok")
    assert lines[3] == "outbox    0 pending, oldest 0 s"

    env["ASSETS_HUB_DATABASE_URL"] = f"postgres://nobody@127.0.0.1:{_closed_port()}/x"
    result = runner.invoke(main, ["check"], env=env)
    assert result.exit_code == 1
    assert "database  UNAVAILABLE" in result.output
