"""The `assets-hub` commands scripts and operators rely on, in their exact forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assets_hub.cli import main
from tests.conftest import PHOTOS


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
    photos = len(list(PHOTOS.glob("*.jpg"))) if PHOTOS.is_dir() else 0
    assert added == 5 + photos  # five generated posters and every CC0 photo, all published
    second = runner.invoke(main, ["demo"], env=env)
    assert "demo loaded: 0 new asset(s)" in second.output


def test_demo_refuses_production(env: dict[str, str]) -> None:
    production = dict(env, ASSETS_HUB_ENVIRONMENT="production", ASSETS_HUB_SECRET_KEY="x" * 40)
    result = CliRunner().invoke(main, ["demo"], env=production)
    assert result.exit_code == 2 and "not in production" in result.output


def test_import_folder_is_resumable_and_reports_rejects(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import make_jpeg

    folder = tmp_path / "incoming"
    (folder / "sub").mkdir(parents=True)
    (folder / "poster.jpg").write_bytes(make_jpeg(colour="#102030"))
    (folder / "sub" / "flyer.jpg").write_bytes(make_jpeg(colour="#302010"))
    (folder / "scan.tif").write_bytes(b"II*\x00" + b"\x00" * 64)
    (folder / ".hidden.jpg").write_bytes(make_jpeg(colour="#000000"))
    sheet = tmp_path / "meta.csv"
    sheet.write_text('filename,title,tags,licence\nposter.jpg,Summer poster,"summer, kids",cc0\n')
    runner = CliRunner()
    first = runner.invoke(main, ["import", str(folder), "--metadata", str(sheet)], env=env)
    assert first.exit_code == 1, first.output  # one file was rejected
    assert "imported 2, already there 0, rejected 1" in first.output
    assert "rejected scan.tif: TIFF files are not accepted" in first.output
    again = runner.invoke(main, ["import", str(folder)], env=env)
    assert "imported 0, already there 2, rejected 1" in again.output

    bad_sheet = tmp_path / "bad.csv"
    bad_sheet.write_text("name,colour\nx,y\n")
    refused = runner.invoke(main, ["import", str(folder), "--metadata", str(bad_sheet)], env=env)
    assert refused.exit_code == 2 and "filename" in refused.output


def test_import_reports_a_metadata_csv_in_the_folder_as_metadata(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import make_jpeg

    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "poster.jpg").write_bytes(make_jpeg(colour="#102030"))
    sheet = folder / "details.csv"
    sheet.write_text("filename,title,licence\nposter.jpg,Summer poster,cc0\n")
    result = CliRunner().invoke(main, ["import", str(folder), "--metadata", str(sheet)], env=env)
    assert result.exit_code == 0, result.output  # nothing was rejected
    assert "imported 1, already there 0, rejected 0" in result.output
    assert "metadata details.csv: read as the files' details, not imported" in result.output


def test_gc_runs_and_reports(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["gc", "--grace-minutes", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("purged 0 asset(s), removed 0 file(s)")


def test_import_libraries_prefills_profiles_once(env: dict[str, str], tmp_path: Path) -> None:
    sheet = tmp_path / "libraries.csv"
    sheet.write_text(
        "Local authority,Library name,Address 1,Postcode,URL,Email address,Monday,Tuesday\n"
        "Leeds,Central Library,Calverley Street,LS1 3AB,https://leeds.gov.uk/libraries,"
        "libraries@leeds.gov.uk,9-5,9-7\n"
        "Leeds,Headingley Library,North Lane,LS6 3HG,,,10-4,\n"
        ",Nameless,,,,,,\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    first = runner.invoke(main, ["import-libraries", str(sheet)], env=env)
    assert first.exit_code == 0, first.output
    assert "libraries created 1, profiles created 2, already there 0, rejected 1" in first.output
    again = runner.invoke(main, ["import-libraries", str(sheet)], env=env)
    assert "libraries created 0, profiles created 0, already there 2" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,big\n")
    refused = runner.invoke(main, ["import-libraries", str(bad)], env=env)
    assert refused.exit_code == 2 and "Library name" in refused.output
