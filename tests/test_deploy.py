"""deploy/: the Kubernetes manifests validate against the API's schemas (as `make deploy-check`
does in CI), and what they and the compose file run is what the app has: its CLI commands and
its probe routes, with no secret written into the repository."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from assets_hub.cli import main

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
WORKER_MISSING = "`assets-hub worker` does not exist yet (the job-queue work of issue 19)"


def _resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    spec = resource.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def _cli_commands() -> set[str]:
    return set(main.commands)


def test_every_manifest_validates_strictly() -> None:
    kinds = set()
    for resource in _resources():
        kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)
        kinds.add(resource["kind"])
    assert kinds >= {"Deployment", "HorizontalPodAutoscaler", "Job", "Service", "ConfigMap"}


def test_the_check_refuses_a_misspelt_field() -> None:
    (deployment, *_) = [r for r in _resources() if r["kind"] == "Deployment"]
    broken = copy.deepcopy(deployment)
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_the_web_pods_probe_routes_the_app_has() -> None:
    from assets_hub.app import create_app
    from assets_hub.settings import Settings

    paths = {getattr(route, "path", None) for route in create_app(Settings()).routes}
    (web,) = [
        r
        for r in _resources()
        if r["metadata"]["name"] == "assets-hub-web" and r["kind"] == "Deployment"
    ]
    (container,) = _containers(web)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= paths


def test_manifests_and_compose_run_commands_the_cli_has() -> None:
    commands = [c["command"] for r in _resources() for c in _containers(r)]
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    commands += [
        s["command"]
        for s in compose["services"].values()
        if "assets-hub" in str(s.get("command", ""))
    ]
    used = {command[1] for command in commands if command[0] == "assets-hub"}
    assert used >= {"serve", "migrate", "worker"}
    if "worker" not in _cli_commands():
        used.discard("worker")
        assert used <= _cli_commands()
        pytest.skip(WORKER_MISSING)
    assert used <= _cli_commands()


def test_no_secret_value_is_written_into_the_manifests() -> None:
    for resource in _resources():
        assert resource["kind"] != "Secret", "Secrets are made outside the repository"
        for container in [*_containers(resource)]:
            refs = {next(iter(ref)) for ref in container.get("envFrom", [])}
            assert refs == {"configMapRef", "secretRef"}, container["name"]
    config = next(r for r in _resources() if r["kind"] == "ConfigMap")
    for name, text in config["data"].items():
        assert not re.search(r"SECRET|PASSWORD|TOKEN|KEY", name), name
        assert "@" not in text, f"{name} looks like it carries credentials"
