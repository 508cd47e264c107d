"""Check, without a Docker engine, that the image built from deploy/Dockerfile would hold files.

    python deploy/check_image.py [--dockerfile deploy/Dockerfile] [--expect static/build/app.css]

What it does, as the engine would: every stage the final stage copies from (``COPY --from``)
is run into a folder of its own: its ``COPY`` lines copy from the build context (the
repository, less what ``Dockerfile.dockerignore`` leaves out) and its ``RUN`` lines run with
``sh -c`` in its ``WORKDIR``. Then the final stage's ``COPY`` lines are replayed as a file list
(its ``RUN`` lines are not run: they install into the system) and each expected path, relative
to the final ``WORKDIR``, must be in it and not empty.

Limits, on purpose: build-stage ``RUN`` lines see the stage's folder as their working directory
and the host's tools (node and npm here), not the base image's; ``ENV``, ``ARG``, ``ADD`` and
``.dockerignore`` negations are not supported and are refused, not ignored.
"""

# ruff: noqa: T201 - a command-line check: printing its findings is its job

from __future__ import annotations

import argparse
import fnmatch
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stage:
    name: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (instruction, arguments)


class Unsupported(Exception):
    """A Dockerfile feature this check does not model."""


def parse(text: str) -> list[Stage]:
    """The stages and their instructions, continuation lines joined."""
    stages: list[Stage] = []
    logical = text.replace("\\\n", " ")
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name))
        elif not stages:
            raise Unsupported(f"{instruction} before the first FROM")
        else:
            stages[-1].steps.append((instruction, arguments.strip()))
    return stages


def ignore_patterns(dockerfile: Path, context: Path) -> list[str]:
    """The Dockerfile's own ignore file (BuildKit), else the context's .dockerignore."""
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if not ignore.exists():
        ignore = context / ".dockerignore"
    if not ignore.exists():
        return []
    patterns = []
    for line in ignore.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise Unsupported(f"negated .dockerignore pattern {line!r}")
        patterns.append(line.strip("/"))
    return patterns


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern that matches a path or any folder above it leaves it out."""
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], bare)
            ):
                return True
    return False


def _copy_args(arguments: str) -> tuple[str | None, list[str], str]:
    words = shlex.split(arguments)
    source_stage = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            source_stage = flag.split("=", 1)[1]
        elif not flag.startswith(("--chown=", "--chmod=", "--link")):
            raise Unsupported(f"COPY {flag}")
    if len(words) < 2:
        raise Unsupported(f"COPY {arguments!r}")
    return source_stage, words[:-1], words[-1]


def _inside(root: Path, image_path: str) -> Path:
    return root / image_path.lstrip("/")


def _copy(source: Path, target: Path, base: Path | None, patterns: list[str]) -> None:
    """Copy a file or a folder's contents, leaving out ignored context paths."""
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(base).as_posix() if base is not None else ""
            if path.is_file() and not (relative and ignored(relative, patterns)):
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
    elif source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    else:
        raise FileNotFoundError(f"COPY source {source} does not exist")


def replay(
    stage: Stage,
    root: Path,
    built: dict[str, Path],
    context: Path,
    patterns: list[str],
    *,
    run: bool,
) -> str:
    """Replay a stage into ``root`` (its filesystem); returns its final WORKDIR."""
    workdir = "/"
    for instruction, arguments in stage.steps:
        if instruction == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / arguments)
            _inside(root, workdir).mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            source_stage, sources, destination = _copy_args(arguments)
            target_dir = _inside(root, str(PurePosixPath(workdir) / destination))
            for source in sources:
                if source_stage is not None:
                    if source_stage not in built:
                        raise Unsupported(f"COPY --from={source_stage}: no such stage before")
                    origin, base, leave_out = _inside(built[source_stage], source), None, []
                else:
                    relative = PurePosixPath(source).as_posix()
                    if relative != "." and ignored(relative, patterns):
                        raise FileNotFoundError(f"COPY {source}: left out by .dockerignore")
                    origin, base, leave_out = context / relative, context, patterns
                is_dir_target = destination.endswith("/") or len(sources) > 1
                target = (
                    target_dir / origin.name if is_dir_target and origin.is_file() else target_dir
                )
                _copy(origin, target, base, leave_out)
        elif instruction == "RUN":
            if run:
                cwd = _inside(root, workdir)
                print(f"  [{stage.name}] RUN {arguments}", flush=True)
                subprocess.run(["sh", "-c", arguments], cwd=cwd, check=True)  # noqa: S603, S607
        elif instruction in ("ENV", "ARG", "ADD", "ONBUILD", "SHELL"):
            if run:
                raise Unsupported(f"{instruction} in a build stage")
        # USER, EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT, LABEL: no files.
    return workdir


def check(dockerfile: Path, expected: list[str], context: Path = ROOT) -> list[str]:
    """Problems found (empty when every expected file would be in the image)."""
    stages = parse(dockerfile.read_text())
    final = stages[-1]
    patterns = ignore_patterns(dockerfile, context)
    needed = {
        _copy_args(arguments)[0]
        for instruction, arguments in final.steps
        if instruction == "COPY" and "--from=" in arguments
    }
    with tempfile.TemporaryDirectory(prefix="image-check-") as scratch:
        built: dict[str, Path] = {}
        for stage in stages[:-1]:
            if stage.name in needed:
                root = Path(scratch) / stage.name
                root.mkdir()
                replay(stage, root, built, context, patterns, run=True)
                built[stage.name] = root
        image = Path(scratch) / "final"
        image.mkdir()
        workdir = replay(final, image, built, context, patterns, run=False)
        problems = []
        for path in expected:
            found = _inside(image, str(PurePosixPath(workdir) / path))
            if not found.is_file():
                problems.append(f"{workdir.rstrip('/')}/{path} is not in the image")
            elif found.stat().st_size == 0:
                problems.append(f"{workdir.rstrip('/')}/{path} is empty")
        return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "deploy" / "Dockerfile")
    parser.add_argument("--expect", action="append", default=None)
    args = parser.parse_args()
    expected = args.expect or ["static/build/app.css"]
    try:
        problems = check(args.dockerfile, expected)
    except (Unsupported, FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"image check: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"image check: {problem}", file=sys.stderr)
    if not problems:
        print(f"image check: {', '.join(expected)} would be in the image")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
