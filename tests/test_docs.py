"""Documentation that tests enforce: every setting is in docs/settings.md."""

from __future__ import annotations

from pathlib import Path

from assets_hub.settings import documented_settings, settings_table

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    missing = [variable for variable, _, _ in documented_settings() if f"`{variable}`" not in text]
    assert missing == [], "run `make docs` to refresh docs/settings.md"
    assert settings_table() in text, "docs/settings.md is stale: run `make docs`"


def test_readme_shows_the_two_commands_first() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert readme.index("make run") < readme.index("make test") < readme.index("## Pointing")
