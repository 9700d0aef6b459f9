"""The Kubernetes manifests a render gives with kubernetes=true, built and checked offline.

`kubectl kustomize` builds the base, the example overlay and its migration Job. Every
resource built is validated against Kubernetes' own schemas (kubernetes-validate, strict),
and checkov scans what an environment applies. The connection budget is checked on the
built objects, and the rendered service's own settings refuse the env a maxReplicas over
the budget gives. No cluster is needed; kubectl is (CI has it, and fails without it).
"""

import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from tests.conftest import ROOT, captured, files, render

# Every field the manifests use is GA from 1.31 (the PodDisruptionBudget's
# unhealthyPodEvictionPolicy was the last); the newest is the newest the validator knows.
KUBERNETES_VERSIONS = ["1.31.0", "1.37.0"]
BUILDS = ["base", "overlays/example", "overlays/example/migrate"]
# What an environment applies, so what checkov scans: the base alone has no namespace, tag
# or digest, and is never applied.
APPLIED = ["overlays/example", "overlays/example/migrate"]
CHECKOV = ROOT / ".venv/checkov/bin/checkov"  # scripts/setup installs it there
# Checks the manifests skip, each with its reason in a checkov.io/skip annotation.
SKIPPED_CHECKS = {
    # The service reads ORACLE_PASSWORD from its environment, like every setting; it comes
    # from a secretKeyRef, never a literal (test_the_password_comes_only_from_a_secret).
    "CKV_K8S_35": "Prefer using secrets as files over secrets as environment variables",
}
PASSWORD = "from-the-secret"  # what the kubelet would put in ORACLE_PASSWORD
Resources = list[dict[str, Any]]


def required_tool(path: str | None, name: str, how: str) -> str:
    """The tool's path; without it the test fails in CI and is skipped, saying why, elsewhere."""
    if path is None:
        reason = f"{name} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def kubectl() -> str:
    how = "install kubectl 1.27 or newer (it builds kustomizations offline)"
    return required_tool(shutil.which("kubectl"), "kubectl", how)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("kubernetes") / "service", kubernetes=True)


def build(kubectl: str, directory: Path) -> Resources:
    """`kubectl kustomize DIRECTORY`, offline, as parsed resources."""
    result = captured([kubectl, "kustomize", str(directory)], directory, dict(os.environ), 60)
    assert result.returncode == 0, result.stderr
    return [resource for resource in yaml.safe_load_all(result.stdout) if resource]


@pytest.fixture(scope="module")
def built(kubectl: str, project: Path) -> dict[str, Resources]:
    return {name: build(kubectl, project / "k8s" / name) for name in BUILDS}


def one(resources: Resources, kind: str) -> dict[str, Any]:
    [resource] = [resource for resource in resources if resource["kind"] == kind]
    return resource


def pod_spec(resources: Resources, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = one(resources, kind)["spec"]["template"]["spec"]
    return spec


def container(resources: Resources, kind: str) -> dict[str, Any]:
    containers: Resources = pod_spec(resources, kind)["containers"]
    [only] = containers
    return only


def environment_of(resources: Resources, kind: str) -> dict[str, str]:
    """The variables the container of the workload `kind` gets, as the kubelet sets them."""
    maps = {
        item["metadata"]["name"]: item["data"] for item in resources if item["kind"] == "ConfigMap"
    }
    spec = container(resources, kind)
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for variable in spec.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            assert set(variable["valueFrom"]) == {"secretKeyRef"}, variable
            env[variable["name"]] = PASSWORD
    return env


def load_settings(project: Path, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """The rendered service's own startup check of `env`: exit status and message."""
    code = "from book_service.config import load_settings; load_settings()"
    only = {"PATH": os.environ["PATH"], "PYTHONPATH": str(project / "src"), **env}
    result = captured([sys.executable, "-c", code], cwd, only, 60)  # cwd: no .env there
    return result.returncode, result.stderr


def overlay(project: Path, directory: Path, max_replicas: int) -> Path:
    """A team's overlay on the example one that patches maxReplicas, as the README says."""
    directory.mkdir()
    k8s = project / "k8s"
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(k8s / "overlays/example", directory)],
        "patches": [
            {
                "target": {"kind": "HorizontalPodAutoscaler", "name": "book-service"},
                "patch": yaml.safe_dump(
                    [{"op": "replace", "path": "/spec/maxReplicas", "value": max_replicas}]
                ),
            }
        ],
        "transformers": [os.path.relpath(k8s / "transformers/oracle-replicas", directory)],
    }
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return directory


def test_no_manifests_render_without_the_question(rendered: Callable[[str], Path]) -> None:
    assert not any(name.startswith("k8s/") for name in files(rendered("defaults")))


def test_the_manifests_are_rendered_whole(project: Path) -> None:
    manifests = [path for path in (project / "k8s").rglob("*") if path.is_file()]
    assert {path.name for path in manifests} >= {"README.md", "kustomization.yaml"}
    for path in manifests:
        text = path.read_text()
        assert not re.search(r"\{\{|\{%|\.jinja", text), path
        if path.suffix == ".yaml":
            assert list(yaml.safe_load_all(text)), path


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", BUILDS)
def test_every_built_resource_is_valid_kubernetes(
    built: dict[str, Resources], name: str, version: str
) -> None:
    for resource in built[name]:
        # Raises kubernetes_validate.ValidationError naming the field, strict: no unknown one.
        kubernetes_validate.validate(resource, version, strict=True)


def test_checkov_finds_nothing_in_what_an_environment_applies(
    built: dict[str, Resources], tmp_path: Path
) -> None:
    checkov = required_tool(
        str(CHECKOV) if CHECKOV.exists() else None, "checkov", "run scripts/setup"
    )
    for name in APPLIED:
        (tmp_path / f"{name.replace('/', '-')}.yaml").write_text(
            yaml.safe_dump_all(built[name], sort_keys=False)
        )
    # Offline: no download of Prisma Cloud's guidelines or custom policies.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    args = [checkov, "--framework", "kubernetes", "--directory", ".", "--skip-download"]
    result = captured([*args, "--output", "json"], tmp_path, env, 300)
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [], result.stdout[-3000:]
    assert report["summary"]["passed"] > 100  # it did scan the pods, not an empty directory
    skipped = report["results"]["skipped_checks"]
    assert {check["check_id"] for check in skipped} == set(SKIPPED_CHECKS)
    for check in skipped:
        assert check["check_name"] == SKIPPED_CHECKS[check["check_id"]]
        assert len(check["check_result"]["suppress_comment"]) > 20  # a reason, in the manifest
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("name", ["base", "overlays/example"])
def test_the_budget_holds_and_oracle_replicas_is_max_replicas(
    built: dict[str, Resources], name: str
) -> None:
    resources = built[name]
    autoscaler = one(resources, "HorizontalPodAutoscaler")["spec"]
    env = environment_of(resources, "Deployment")
    # The defaults: pool_max 10, oracle_sessions 44, so 44 // 11 = 4 replicas.
    assert (autoscaler["minReplicas"], autoscaler["maxReplicas"]) == (2, 4)
    assert env["ORACLE_REPLICAS"] == str(autoscaler["maxReplicas"])
    sessions = int(env["WEB_CONCURRENCY"]) * (int(env["ORACLE_POOL_MAX"]) + 1)
    assert autoscaler["maxReplicas"] * sessions <= int(env["ORACLE_SESSIONS"])
    assert "replicas" not in one(resources, "Deployment")["spec"]  # the autoscaler's to set
    # A rollout never runs a pod beyond the count, nor a drain more than one pod down.
    assert one(resources, "Deployment")["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
    assert one(resources, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_a_budget_for_more_than_a_thousand_replicas_renders_a_service_that_starts(
    kubectl: str, tmp_path: Path
) -> None:
    # 6000 // (4 + 1) is 1200 replicas, past the 1000 ORACLE_REPLICAS takes: the Deployment
    # copied maxReplicas into it, and every pod stopped at startup.
    answers = {"kubernetes": True, "pool_min": 1, "pool_max": 4, "oracle_sessions": 6000}
    project = render(tmp_path / "service", **answers)
    resources = build(kubectl, project / "k8s/overlays/example")
    assert one(resources, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 1000
    status, message = load_settings(project, environment_of(resources, "Deployment"), tmp_path)
    assert status == 0, message


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_the_service_accepts_the_settings_the_manifests_give(
    built: dict[str, Resources], project: Path, tmp_path: Path, kind: str
) -> None:
    name = "overlays/example" if kind == "Deployment" else "overlays/example/migrate"
    env = environment_of(built[name], kind)
    assert env["LOG_FORMAT"] == "json"
    assert env["ORACLE_DSN"]  # the overlay's; the base has none
    status, message = load_settings(project, env, tmp_path)
    assert status == 0, message


@pytest.mark.parametrize(("max_replicas", "accepted"), [(3, True), (4, True), (5, False)])
def test_an_overlay_that_raises_max_replicas_past_the_budget_stops_the_service(
    kubectl: str, project: Path, tmp_path: Path, max_replicas: int, accepted: bool
) -> None:
    resources = build(kubectl, overlay(project, tmp_path / "team", max_replicas))
    env = environment_of(resources, "Deployment")
    assert env["ORACLE_REPLICAS"] == str(max_replicas)  # followed the patch
    status, message = load_settings(project, env, tmp_path)
    assert (status == 0) == accepted, message
    if not accepted:
        assert "ORACLE_REPLICAS (5) x WEB_CONCURRENCY (1) x (ORACLE_POOL_MAX + 1)" in message
        assert "more than ORACLE_SESSIONS (44) allows" in message


def test_the_pod_is_given_time_to_shut_down_and_probes_fit_the_service(
    built: dict[str, Resources], project: Path
) -> None:
    resources = built["overlays/example"]
    pod, app, env = (
        pod_spec(resources, "Deployment"),
        container(resources, "Deployment"),
        environment_of(resources, "Deployment"),
    )
    image = (project / "Dockerfile").read_text()
    [cmd_line] = re.findall(r"^CMD (\[.*\])$", image, re.M)
    cmd = json.loads(cmd_line)  # the exec form, a JSON array
    graceful = int(cmd[cmd.index("--timeout-graceful-shutdown") + 1])
    command = app["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    # preStop, uvicorn's drain, the lifespan's close, and the service's own last second.
    needed = int(command[1]) + graceful + int(env["ORACLE_CLOSE_TIMEOUT"]) + 1
    assert pod["terminationGracePeriodSeconds"] >= needed + 10  # with a margin
    [expose] = re.findall(r"^EXPOSE (\d+)$", image, re.M)
    assert [port["containerPort"] for port in app["ports"]] == [int(expose)]
    assert app["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert app["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert app["readinessProbe"]["timeoutSeconds"] > float(env["ORACLE_READY_TIMEOUT"])
    assert set(app["resources"]) == {"requests", "limits"}


def workloads(built: dict[str, Resources]) -> Iterator[tuple[Resources, str]]:
    yield built["overlays/example"], "Deployment"
    yield built["overlays/example/migrate"], "Job"


def test_with_tracing_the_pod_also_waits_for_the_spans_still_to_send(
    tmp_path: Path, project: Path
) -> None:
    # FastAPI sends them once the lifespan has ended: a collector that does not answer
    # holds the process for OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default (measured).
    traced = render(tmp_path / "service", kubernetes=True, tracing=True)
    grace = {}
    for name, where in (("untraced", project), ("traced", traced)):
        deployment = yaml.safe_load((where / "k8s/base/deployment.yaml").read_text())
        grace[name] = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace["traced"] >= grace["untraced"] + 10


def test_pods_run_as_the_image_user_with_nothing_they_do_not_need(
    built: dict[str, Resources], project: Path
) -> None:
    uid = re.search(r"useradd .*--uid (\d+)", (project / "Dockerfile").read_text())
    assert uid is not None
    for resources, kind in workloads(built):
        pod, app = pod_spec(resources, kind), container(resources, kind)
        assert pod["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": int(uid[1]),
            "runAsGroup": int(uid[1]),
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        assert app["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert pod["automountServiceAccountToken"] is False
        assert pod["enableServiceLinks"] is False  # no ORACLE_PORT from a Service named oracle
        [tmp] = [mount for mount in app["volumeMounts"] if mount["mountPath"] == "/tmp"]
        [volume] = [volume for volume in pod["volumes"] if volume["name"] == tmp["name"]]
        assert "emptyDir" in volume


def test_the_password_comes_only_from_a_secret(built: dict[str, Resources]) -> None:
    for resources, kind in workloads(built):
        [password] = [
            v for v in container(resources, kind)["env"] if v["name"] == "ORACLE_PASSWORD"
        ]
        assert password == {
            "name": "ORACLE_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "book-service-oracle", "key": "password"}},
        }
        assert all(item["kind"] != "Secret" for item in resources)  # created apart, never built
        for item in resources:
            if item["kind"] == "ConfigMap":
                assert not any("PASSWORD" in key for key in item["data"])


def test_the_migration_is_a_job_of_the_same_image_run_once_before_the_service(
    built: dict[str, Resources], project: Path
) -> None:
    service, migration = built["overlays/example"], built["overlays/example/migrate"]
    job = one(migration, "Job")["spec"]
    migrate = container(migration, "Job")
    assert "alembic upgrade head" in (project / "scripts/migrate").read_text()
    assert migrate["command"] == ["alembic", "upgrade", "head"]  # the image has no uv
    assert job["backoffLimit"] == 0
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert migrate["image"] == container(service, "Deployment")["image"]
    assert "@sha256:" in migrate["image"]  # the overlay pins the image by digest
    assert "command" not in container(service, "Deployment")  # the image's command, no alembic
    assert all(item["kind"] != "Job" for item in service)
    dockerfile_text = (project / "Dockerfile").read_text()
    assert "COPY alembic.ini" in dockerfile_text
    assert "COPY migrations" in dockerfile_text
    # Both take their settings from the same ConfigMap (same name, same content hash).
    assert one(migration, "ConfigMap") == one(service, "ConfigMap")
