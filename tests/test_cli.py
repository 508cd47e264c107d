"""The `assets-hub` commands scripts and operators rely on, in their exact forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assets_hub.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        "ASSETS_HUB_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
        "ASSETS_HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
        "ASSETS_HUB_SEARCH_URL": f"embedded://{tmp_path / 'search'}",
        "ASSETS_HUB_TMP_DIR": str(tmp_path / "tmp"),
        "ASSETS_HUB_BASE_URL": "https://assets.example.org",
    }
    assert CliRunner().invoke(main, ["migrate"], env=values).exit_code == 0
    return values


def test_create_library_user_and_token(env: dict[str, str]) -> None:
    runner = CliRunner()
    library = runner.invoke(main, ["create-library", "--name", "Leeds Libraries"], env=env)
    assert library.exit_code == 0, library.output
    assert library.output.strip() == "library created: leeds-libraries"
    explicit = runner.invoke(
        main, ["create-library", "--name", "Kent", "--slug", "kent-lib"], env=env
    )
    assert explicit.output.strip() == "library created: kent-lib"
    duplicate = runner.invoke(main, ["create-library", "--name", "Leeds Libraries"], env=env)
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output

    invited = runner.invoke(
        main,
        [
            "create-user",
            "--email",
            "Staff@Leeds.example.org",
            "--role",
            "library_member",
            "--library",
            "leeds-libraries",
        ],
        env=env,
    )
    assert invited.exit_code == 0, invited.output
    assert "https://assets.example.org/invitation/" in invited.output.splitlines()[-1]

    with_password = runner.invoke(
        main,
        [
            "create-user",
            "--email",
            "ed@example.org",
            "--role",
            "editor",
            "--password",
            "a long enough password",
        ],
        env=env,
    )
    assert with_password.exit_code == 0
    assert "invitation" not in with_password.output

    no_library = runner.invoke(
        main, ["create-user", "--email", "x@example.org", "--role", "library_admin"], env=env
    )
    assert no_library.exit_code == 2 and "library" in no_library.output

    token = runner.invoke(
        main,
        ["create-token", "--email", "ed@example.org", "--name", "ci", "--expires-days", "7"],
        env=env,
    )
    assert token.exit_code == 0
    last = token.output.strip().splitlines()[-1]
    assert last.startswith("ahk_") and " " not in last

    unknown = runner.invoke(main, ["create-token", "--email", "nobody@example.org"], env=env)
    assert unknown.exit_code == 2 and "no user" in unknown.output


def test_demo_loads_content_and_accounts_once(env: dict[str, str]) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "editor@demo.assets-hub.org" in first.output
    assert "staff@kent.demo.assets-hub.org" in first.output
    added = int(first.output.split("demo loaded: ")[1].split()[0])
    assert added >= 5
    second = runner.invoke(main, ["demo"], env=env)
    assert "demo loaded: 0 new asset(s)" in second.output


def test_demo_refuses_production(env: dict[str, str]) -> None:
    production = dict(env, ASSETS_HUB_ENVIRONMENT="production", ASSETS_HUB_SECRET_KEY="x" * 40)
    result = CliRunner().invoke(main, ["demo"], env=production)
    assert result.exit_code == 2 and "not in production" in result.output
