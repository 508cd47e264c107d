"""deploy/check_image.py: the image's file list, worked out without a Docker engine."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
CSS = "static/build/app.css"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_image", ROOT / "deploy" / "check_image.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_image"] = module
    spec.loader.exec_module(module)
    return module


check_image = _checker()

FINAL = """
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY static ./static
"""
# A build stage that needs nothing from the registry: it joins the sources into the stylesheet.
WITH_STAGE = """
FROM debian AS frontend
WORKDIR /build
COPY static/scss ./static/scss
RUN mkdir -p static/build && cat static/scss/*.scss > static/build/app.css
""" + FINAL.replace(
    "COPY static ./static\n",
    "COPY static ./static\nCOPY --from=frontend /build/static/build ./static/build\n",
)


def _context(tmp_path: Path, dockerfile: str) -> tuple[Path, Path]:
    """A build context like a developer's checkout, stylesheet already built locally."""
    context = tmp_path / "repo"
    for name in ("pyproject.toml", "README.md", "static/scss/app.scss", CSS):
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(f"/* {name} */")
    (context / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "Dockerfile.dockerignore", context / "deploy")
    path = context / "deploy" / "Dockerfile"
    path.write_text(dockerfile)
    return path, context


def test_the_stylesheet_built_in_a_stage_reaches_the_final_image(tmp_path: Path) -> None:
    path, context = _context(tmp_path, WITH_STAGE)
    assert check_image.check(path, [CSS, "README.md"], context) == []


def test_without_the_build_stage_a_locally_built_stylesheet_does_not_count(
    tmp_path: Path,
) -> None:
    path, context = _context(tmp_path, FINAL)
    assert check_image.check(path, [CSS], context) == [f"/app/{CSS} is not in the image"]


def test_the_real_dockerfile_builds_the_front_end_runs_unprivileged_and_checks_health() -> None:
    stages = check_image.parse((ROOT / "deploy" / "Dockerfile").read_text())
    assert stages[0].name == "frontend"
    build = [arguments for instruction, arguments in stages[0].steps if instruction == "RUN"]
    assert build == ["npm ci --no-audit --no-fund", "npm run build"]
    final = dict(stages[-1].steps)
    assert final["USER"] not in ("root", "0") and "healthz" in final["HEALTHCHECK"]
