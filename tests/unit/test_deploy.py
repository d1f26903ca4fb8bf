"""The Kubernetes manifests in deploy/k8s agree with the code they run: ports, health routes,
settings, durable consumers and stream names come from the services themselves."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from baocao.stack import SERVICES, ServiceSpec
from services.aggregator.entrypoints import consumer as aggregator_consumer
from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from services.validator.entrypoints import consumer as validator_consumer
from services.validator.settings import ValidatorSettings
from shared.settings import CommonSettings
from shared.subjects import REPORTS_STREAM

Doc = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NAMESPACE = "baocao"

SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "validator": ValidatorSettings,
    "aggregator": AggregatorSettings,
    "notifier": NotifierSettings,
}
# The durable consumer each autoscaled service reads (the names KEDA must ask NATS about).
DURABLES = {"validator": validator_consumer.DURABLE, "aggregator": aggregator_consumer.DURABLE}
# Fields whose defaults are wrong in a cluster: loopback addresses, the development secret.
MUST_SET = frozenset({"nats_url", "database_url", "host", "port", "token_secret"})
SECRET_FIELDS = frozenset({"database_url", "token_secret"})
RUN_AS_USER = 10001


def yaml_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*") if p.suffix in {".yaml", ".yml"})


@functools.cache
def load(path: Path) -> list[Doc]:
    """The file's documents, parsed once per run (the tests only read them)."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def is_manifest(path: Path) -> bool:
    docs = load(path)
    return bool(docs) and all("apiVersion" in d and "kind" in d for d in docs)


def resources() -> list[Doc]:
    kustomization = load(K8S / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in load(K8S / name)]


def of_kind(kind: str) -> list[Doc]:
    return [doc for doc in resources() if doc["kind"] == kind]


def one(kind: str, name: str) -> Doc:
    (found,) = [doc for doc in of_kind(kind) if doc["metadata"]["name"] == name]
    return found


def deployment(service: str) -> Doc:
    (found,) = [
        d
        for d in of_kind("Deployment")
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == service
    ]
    return found


def container(workload: Doc) -> Doc:
    (found,) = workload["spec"]["template"]["spec"]["containers"]
    main: Doc = found
    return main


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def environment(workload: Doc) -> dict[str, tuple[str, ...]]:
    """Every variable the container gets, with where it comes from: ("value", v),
    ("configmap", name, key) or ("secret", name, key)."""
    spec = container(workload)
    found: dict[str, tuple[str, ...]] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            for key in one("ConfigMap", name)["data"]:
                found[key] = ("configmap", name, key)
        else:
            name = source["secretRef"]["name"]
            for key in one("Secret", name)["stringData"]:
                found[key] = ("secret", name, key)
    for variable in spec.get("env", []):
        if "value" in variable:
            found[variable["name"]] = ("value", str(variable["value"]))
        elif "secretKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["secretKeyRef"]
            found[variable["name"]] = ("secret", ref["name"], ref["key"])
        else:
            ref = variable["valueFrom"]["configMapKeyRef"]
            found[variable["name"]] = ("configmap", ref["name"], ref["key"])
    return found


def value_of(source: tuple[str, ...]) -> str:
    if source[0] == "value":
        return source[1]
    if source[0] == "configmap":
        return str(one("ConfigMap", source[1])["data"][source[2]])
    return str(one("Secret", source[1])["stringData"][source[2]])


def aliases(settings: type[BaseSettings]) -> dict[str, str]:
    """Field name -> the environment variable it is read from."""
    return {name: field.alias or name.upper() for name, field in settings.model_fields.items()}


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_yaml_file_parses_into_mappings(path: Path) -> None:
    docs = load(path)
    assert docs, "empty file"
    assert all(isinstance(doc, dict) for doc in docs)


def test_the_kustomization_lists_every_manifest_in_the_directory() -> None:
    kustomization = load(K8S / "kustomization.yaml")[0]
    listed = kustomization["resources"]
    manifests = {
        str(path.relative_to(K8S))
        for path in yaml_files()
        if path.name != "kustomization.yaml" and is_manifest(path)
    }
    assert len(listed) == len(set(listed))
    assert set(listed) == manifests
    # Rendered by Helm, or read by Prometheus: not Kubernetes objects.
    assert not is_manifest(K8S / "nats-values.yaml")
    assert not is_manifest(K8S / "alerts" / "baocao-rules.yml")


def test_every_namespaced_object_is_in_the_baocao_namespace() -> None:
    for doc in resources():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


def test_there_is_one_deployment_per_service_running_its_module() -> None:
    components = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in of_kind("Deployment")
    }
    assert components == {spec.name for spec in SERVICES}
    for spec in SERVICES:
        assert container(deployment(spec.name))["command"] == ["python", "-m", spec.module]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_probes_ask_health_routes_on_the_port_the_service_listens_on(spec: ServiceSpec) -> None:
    main = container(deployment(spec.name))
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert list(ports.values()) == [spec.default_port]
    assert environment(deployment(spec.name))[spec.port_variable] == (
        "value",
        str(spec.default_port),
    )

    def port_of(probe: Doc) -> int:
        port = probe["httpGet"]["port"]
        return ports[port] if isinstance(port, str) else int(port)

    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if probe in main:
            assert port_of(main[probe]) == spec.default_port, probe


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_the_environment_sets_what_the_services_settings_need_in_a_cluster(
    spec: ServiceSpec,
) -> None:
    settings = SETTINGS[spec.name]
    env = environment(deployment(spec.name))
    names = aliases(settings)
    needed = {
        names[field]
        for field, info in settings.model_fields.items()
        if info.is_required() or field in MUST_SET
    }
    assert needed <= env.keys(), f"not set: {sorted(needed - env.keys())}"
    assert value_of(env[names["host"]]) == "0.0.0.0"
    for field in SECRET_FIELDS & names.keys():
        assert env[names[field]][0] == "secret", f"{names[field]} must come from a Secret"
    assert value_of(env[names["clock"]]) == "system"
    assert value_of(env["OTEL_SERVICE_NAME"]) == f"baocao-{spec.name}"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_setting_in_the_environment_is_one_the_service_reads(spec: ServiceSpec) -> None:
    """A misspelt variable would be ignored silently (extra="ignore"). OTEL_* variables are
    the OpenTelemetry SDK's own."""
    known = set(aliases(SETTINGS[spec.name]).values())
    ours = {name for name in environment(deployment(spec.name)) if not name.startswith("OTEL_")}
    assert ours <= known, f"read by no setting of {spec.name}: {sorted(ours - known)}"


def test_only_the_services_that_check_tokens_get_the_token_secret() -> None:
    holders = {
        spec.name
        for spec in SERVICES
        if "BAOCAO_TOKEN_SECRET" in environment(deployment(spec.name))
    }
    # Intake checks every submission's token; the validator, the provinces' on lock exceptions
    # and approvals; the notifier, the units' on their contacts.
    assert holders == {"intake", "validator", "notifier"}


def test_the_secret_template_holds_no_real_secret() -> None:
    (secret,) = of_kind("Secret")
    assert set(secret["stringData"]) == {
        "DATABASE_URL",
        "BAOCAO_TOKEN_SECRET",
        "NOTIFIER_SMTP_PASSWORD",
    }
    for value in secret["stringData"].values():
        assert "CHANGE-ME" in value


def test_the_migration_job_runs_baocao_migrate_against_the_database() -> None:
    (job,) = of_kind("Job")
    assert container(job)["command"] == ["baocao", "migrate"]
    env = environment(job)
    assert env[aliases(CommonSettings)["database_url"]][0] == "secret"


def test_the_database_url_points_at_the_cloudnativepg_primary() -> None:
    (cluster,) = of_kind("Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == 3
    url = one("Secret", "baocao-secrets")["stringData"]["DATABASE_URL"]
    host = re.match(r"postgresql://[^@]+@([^:/]+)", url)
    assert host is not None
    assert host.group(1).split(".")[0] == f"{cluster['metadata']['name']}-rw"
    assert url.rsplit("/", 1)[1] == cluster["spec"]["bootstrap"]["initdb"]["database"]


def test_keda_scales_validator_and_aggregator_on_their_durable_consumers() -> None:
    scaled = {so["spec"]["scaleTargetRef"]["name"]: so for so in of_kind("ScaledObject")}
    assert set(scaled) == {deployment(service)["metadata"]["name"] for service in DURABLES}
    for service, durable in DURABLES.items():
        (trigger,) = scaled[deployment(service)["metadata"]["name"]]["spec"]["triggers"]
        assert trigger["type"] == "nats-jetstream"
        assert trigger["metadata"]["stream"] == REPORTS_STREAM
        assert trigger["metadata"]["consumer"] == durable
        # KEDA owns the count: a fixed one would be put back on every apply.
        assert "replicas" not in deployment(service)["spec"]


def test_nats_addresses_match_the_helm_release() -> None:
    (values,) = load(K8S / "nats-values.yaml")
    release = values["fullnameOverride"]
    nats_url = one("ConfigMap", "baocao-config")["data"]["NATS_URL"]
    assert nats_url == f"nats://{release}.{NAMESPACE}.svc.cluster.local:4222"
    assert values["config"]["cluster"]["replicas"] == 3
    assert values["config"]["jetstream"]["enabled"] is True
    monitor = values["config"]["monitor"]["port"]
    for so in of_kind("ScaledObject"):
        endpoint = so["spec"]["triggers"][0]["metadata"]["natsServerMonitoringEndpoint"]
        assert endpoint == f"{release}-headless.{NAMESPACE}.svc.cluster.local:{monitor}"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_service_has_a_service_and_a_disruption_budget(spec: ServiceSpec) -> None:
    pods = deployment(spec.name)["spec"]["template"]["metadata"]["labels"]
    (service,) = [s for s in of_kind("Service") if selects(s["spec"]["selector"], pods)]
    (port,) = service["spec"]["ports"]
    assert port["port"] == spec.default_port
    assert port["targetPort"] in {"http", spec.default_port}
    # The alert rules find the scrape jobs by name: up{job=~"baocao.*"}.
    assert service["metadata"]["name"] == f"baocao-{spec.name}"
    budgets = [
        b
        for b in of_kind("PodDisruptionBudget")
        if selects(b["spec"]["selector"]["matchLabels"], pods)
    ]
    assert len(budgets) == 1


def test_prometheus_scrapes_metrics_of_every_service() -> None:
    (monitor,) = of_kind("ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    for spec in SERVICES:
        service = one("Service", f"baocao-{spec.name}")
        assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


@pytest.mark.parametrize(
    "workload", of_kind("Deployment") + of_kind("Job"), ids=lambda w: w["metadata"]["name"]
)
def test_every_workload_runs_unprivileged_and_bounded(workload: Doc) -> None:
    pod = workload["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == RUN_AS_USER
    assert pod["automountServiceAccountToken"] is False
    main = container(workload)
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= main["resources"]["requests"].keys()
    assert "memory" in main["resources"]["limits"]
    # The only writable place, for Python's and libraries' temporary files.
    assert [m["mountPath"] for m in main["volumeMounts"]] == ["/tmp"]


def test_the_image_is_slim_unprivileged_and_without_dev_extras() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert stages
    assert all(image == "python:3.11-slim" for image in stages)
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users == [f"{RUN_AS_USER}:{RUN_AS_USER}"]
    installs = re.findall(r"pip install ([^\n]+)", text)
    assert installs
    assert all("dev" not in line for line in installs)
    images = {container(w)["image"].split(":")[0] for w in of_kind("Deployment") + of_kind("Job")}
    kustomization = load(K8S / "kustomization.yaml")[0]
    assert images == {image["name"] for image in kustomization["images"]}
