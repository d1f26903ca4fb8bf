"""The Kubernetes manifests in deploy/k8s agree with the code they run: ports, health routes,
settings, durable consumers and stream names come from the services themselves. And trust is
on every path: each process its own NATS user and database login, TLS to both, the token
issuer's public keys only, production mode on, and no usable secret in the directory."""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic_settings import BaseSettings

from baocao.nats_authority import NatsAuthority
from baocao.service_specs import WEB
from baocao.stack import SERVICES, ServiceSpec
from services.aggregator.entrypoints import consumer as aggregator_consumer
from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from services.validator.entrypoints import consumer as validator_consumer
from services.validator.settings import ValidatorSettings
from services.web import production as web_production
from services.web.settings import WebSettings
from shared import nats_permissions, production, subjects
from shared.identity.issuer import LocalIssuer
from shared.roles import SERVICE_ROLES
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
# Fields whose defaults are wrong in a cluster: loopback addresses, development mode and keys,
# no NATS user.
MUST_SET = frozenset(
    {
        "nats_url",
        "nats_creds",
        "database_url",
        "host",
        "port",
        "environment",
        "identity_dir",
        "secrets_key",
    }
)
SECRET_FIELDS = frozenset({"database_url", "secrets_key", "smtp_password"})
# Read by libraries rather than by a settings class: the OpenTelemetry SDK's OTEL_* and
# OpenSSL's CA bundle (Python's default TLS context, httpx).
LIBRARY_VARIABLES = ("OTEL_", "SSL_CERT_FILE")
RUN_AS_USER = 10001
# Where every pod finds the token issuer's public half, its NATS user, and the CA bundle.
IDENTITY_CONFIGMAP = "baocao-identity"
TRUST_CONFIGMAP = "baocao-trust"
NATS_CREDS_KEY = "user.creds"


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


def mounts(workload: Doc) -> dict[str, tuple[Doc, Doc]]:
    """Mount path -> (the container's volumeMount, the pod's volume)."""
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    return {
        m["mountPath"]: (m, volumes[m["name"]]) for m in container(workload).get("volumeMounts", [])
    }


def mounted_file(workload: Doc, path: str) -> tuple[str, str, str]:
    """Which ConfigMap or Secret key the file at ``path`` comes from: (kind, name, key)."""
    directory, key = posixpath.split(path)
    found = mounts(workload).get(directory)
    assert found is not None, f"nothing is mounted at {directory}"
    mount, volume = found
    assert "subPath" not in mount, "a subPath mount never sees an update"
    if "configMap" in volume:
        return ("ConfigMap", volume["configMap"]["name"], key)
    assert "secret" in volume, f"{directory} is neither a ConfigMap nor a Secret"
    return ("Secret", volume["secret"]["secretName"], key)


def workloads() -> list[Doc]:
    return of_kind("Deployment") + of_kind("Job")


def job(component: str) -> Doc:
    (found,) = [
        j
        for j in of_kind("Job")
        if j["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
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
    assert components == {spec.name for spec in SERVICES} | {WEB.name}
    for spec in (*SERVICES, WEB):
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
    the OpenTelemetry SDK's own, SSL_CERT_FILE OpenSSL's."""
    known = set(aliases(SETTINGS[spec.name]).values())
    ours = {
        name
        for name in environment(deployment(spec.name))
        if not name.startswith(LIBRARY_VARIABLES)
    }
    assert ours <= known, f"read by no setting of {spec.name}: {sorted(ours - known)}"


def test_no_manifest_mentions_the_shared_token_secret_any_more() -> None:
    """Tokens are checked against the issuer's public keys; the HMAC secret is gone."""
    for path in yaml_files():
        assert "TOKEN_SECRET" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_runs_in_production_mode(spec: ServiceSpec) -> None:
    env = environment(deployment(spec.name))
    assert value_of(env[aliases(CommonSettings)["environment"]]) == "production"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_trusts_the_issuers_public_keys_mounted_from_a_configmap(
    spec: ServiceSpec,
) -> None:
    workload = deployment(spec.name)
    identity_dir = value_of(environment(workload)[aliases(CommonSettings)["identity_dir"]])
    assert ".run" not in PurePosixPath(identity_dir).parts
    configmap = one("ConfigMap", IDENTITY_CONFIGMAP)
    for key in ("jwks.json", "revocations.json"):
        # Mounted whole: the kubelet swaps an updated ConfigMap in, the services re-read it.
        assert mounted_file(workload, f"{identity_dir}/{key}") == (
            "ConfigMap",
            IDENTITY_CONFIGMAP,
            key,
        )
        assert key in configmap["data"]
    mount, _ = mounts(workload)[identity_dir]
    assert mount["readOnly"] is True
    # The template trusts no key at all, and could never hold a private one.
    keys = json.loads(configmap["data"]["jwks.json"])["keys"]
    assert all(not production.PRIVATE_JWK_MEMBERS & key.keys() for key in keys)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_connects_to_nats_as_its_own_user(spec: ServiceSpec) -> None:
    workload = deployment(spec.name)
    creds = environment(workload)[aliases(CommonSettings)["nats_creds"]]
    assert creds[0] == "value", "NATS_CREDS is a path to the mounted Secret"
    kind, name, key = mounted_file(workload, creds[1])
    assert (kind, name, key) == ("Secret", f"baocao-nats-{spec.name}", NATS_CREDS_KEY)
    mount, volume = mounts(workload)[posixpath.dirname(creds[1])]
    assert mount["readOnly"] is True
    assert volume["secret"]["defaultMode"] == 0o440
    # No other workload mounts this service's user.
    holders = [
        w["metadata"]["name"]
        for w in workloads()
        for v in w["spec"]["template"]["spec"]["volumes"]
        if v.get("secret", {}).get("secretName") == name
    ]
    assert holders == [workload["metadata"]["name"]]


def test_nats_urls_use_tls_and_every_workload_can_check_the_servers_certificate() -> None:
    nats_url = one("ConfigMap", "baocao-config")["data"]["NATS_URL"]
    assert urlsplit(nats_url).scheme == "tls"
    for workload in workloads():
        env = environment(workload)
        bundle = value_of(env["SSL_CERT_FILE"])
        assert mounted_file(workload, bundle)[:2] == ("ConfigMap", TRUST_CONFIGMAP)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_the_manifests_settings_pass_the_production_checks_but_for_their_placeholders(
    spec: ServiceSpec,
) -> None:
    """What production mode still refuses in these manifests is what only a real cluster has:
    a filled-in password and the files mounted from the Secrets and ConfigMaps."""
    env = {name: value_of(source) for name, source in environment(deployment(spec.name)).items()}
    found = production.problems(CommonSettings.model_validate(env))
    only_in_a_cluster = (
        "DATABASE_URL's password is still the template's CHANGE-ME placeholder",
        f"NATS_CREDS {env['NATS_CREDS']} cannot be read",
        f"the trusted JWKS {env['BAOCAO_IDENTITY_DIR']}/jwks.json cannot be read",
        f"the revocation list {env['BAOCAO_IDENTITY_DIR']}/revocations.json does not exist",
    )
    assert found, "the template's CHANGE-ME password must not start"
    assert all(problem.startswith(only_in_a_cluster) for problem in found), found


# The owner's login (migrations) and each service's own.
DATABASE_URL_KEYS = {"DATABASE_URL", *(spec.database_variable for spec in SERVICES)}


def test_the_secret_templates_hold_no_real_secret() -> None:
    assert set(one("Secret", "baocao-secrets")["stringData"]) == {
        *DATABASE_URL_KEYS,
        "NOTIFIER_SECRETS_KEY",
        "NOTIFIER_SMTP_PASSWORD",
    }
    nats_users = {
        s["metadata"]["name"]
        for s in of_kind("Secret")
        if s["metadata"]["name"].startswith("baocao-nats-")
    }
    assert nats_users == {f"baocao-nats-{spec.name}" for spec in SERVICES} | {"baocao-nats-ops"}
    for secret in of_kind("Secret"):
        # stringData only: base64 in `data` would hide what is in it from review.
        assert "data" not in secret, secret["metadata"]["name"]
        for key, value in secret["stringData"].items():
            if key != "username":
                assert "CHANGE-ME" in value, (secret["metadata"]["name"], key)


# What real secrets look like: an nkey seed (operator, account or user), a JWT (a NATS user's,
# or a bearer token), a PEM private key, a Fernet key.
SECRET_SHAPES = {
    "nkey seed": re.compile(r"\bS[OAUCNX][A-Z2-7]{50,}\b"),
    "JWT": re.compile(r"\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Fernet key": re.compile(r"(?<![\w-])[A-Za-z0-9_-]{43}=(?![\w=])"),
}


def secrets_in(text: str) -> Iterator[str]:
    for shape, pattern in SECRET_SHAPES.items():
        if pattern.search(text):
            yield shape
    # A password in a URL (postgresql://user:password@host, nats://user:password@host).
    for password in re.findall(r"://[^/\s:@\"']+:([^@\s\"']+)@", text):
        if "CHANGE-ME" not in password:
            yield "password in a URL"


def test_the_secret_detector_recognises_real_secrets(nats_auth_dir: Path, tmp_path: Path) -> None:
    creds = NatsAuthority(nats_auth_dir).user_creds("intake", nats_permissions.intake)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    samples = {
        "nkey seed": (nats_auth_dir / "operator.nk").read_text(),
        "JWT": LocalIssuer(tmp_path).mint("00004"),
        "private key": pem.decode(),
        "Fernet key": f"NOTIFIER_SECRETS_KEY: {Fernet.generate_key().decode()}",
        "password in a URL": "postgresql://baocao:hunter2-but-longer@db:5432/baocao",
    }
    for shape, sample in samples.items():
        assert shape in set(secrets_in(sample)), shape
    assert {"nkey seed", "JWT"} <= set(secrets_in(creds.text))
    assert not list(secrets_in("postgresql://baocao:CHANGE-ME@db:5432/baocao?sslmode=verify-full"))


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_no_file_in_deploy_carries_a_usable_secret(path: Path) -> None:
    assert not list(secrets_in(path.read_text(encoding="utf-8")))


def login_of(url: str) -> str:
    found = re.match(r"postgresql://([^:@]+)", url)
    assert found is not None
    return found.group(1)


def test_the_migration_job_runs_baocao_migrate_against_the_database_as_its_owner() -> None:
    migrate = job("migrate")
    (cluster,) = of_kind("Cluster")
    assert container(migrate)["command"] == ["baocao", "migrate"]
    env = environment(migrate)
    source = env[aliases(CommonSettings)["database_url"]]
    assert source == ("secret", "baocao-secrets", "DATABASE_URL")
    assert login_of(value_of(source)) == cluster["spec"]["bootstrap"]["initdb"]["owner"]
    # It needs no NATS user.
    assert aliases(CommonSettings)["nats_creds"] not in env


def test_a_job_provisions_streams_and_consumers_as_ops_with_the_clusters_replicas() -> None:
    provision = job("nats-provision")
    env = environment(provision)
    replicas = value_of(env[aliases(CommonSettings)["stream_replicas"]])
    assert container(provision)["command"] == [
        "baocao",
        "nats",
        "provision",
        "--replicas",
        replicas,
    ]
    creds = env[aliases(CommonSettings)["nats_creds"]]
    assert creds[0] == "value"
    assert mounted_file(provision, creds[1]) == ("Secret", "baocao-nats-ops", NATS_CREDS_KEY)
    # Ops on NATS, nothing on the database.
    assert aliases(CommonSettings)["database_url"] not in env


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_service_logs_in_to_the_database_as_its_own_role(spec: ServiceSpec) -> None:
    source = environment(deployment(spec.name))[aliases(CommonSettings)["database_url"]]
    assert source == ("secret", "baocao-secrets", spec.database_variable)
    assert login_of(value_of(source)) == SERVICE_ROLES[spec.name]


def test_the_database_cluster_creates_each_service_role_from_its_password_secret() -> None:
    (cluster,) = of_kind("Cluster")
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(SERVICE_ROLES.values())
    for name, role in roles.items():
        assert role["login"] is True
        assert not role.get("superuser")
        assert not role.get("createrole")
        secret = one("Secret", role["passwordSecret"]["name"])
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["stringData"]["username"] == name


def test_every_database_url_points_at_the_cloudnativepg_primary() -> None:
    (cluster,) = of_kind("Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == 3
    secret = one("Secret", "baocao-secrets")["stringData"]
    for key in DATABASE_URL_KEYS:
        url = urlsplit(secret[key])
        assert url.scheme == "postgresql", key
        assert (url.hostname or "").split(".")[0] == f"{cluster['metadata']['name']}-rw"
        assert url.path == "/" + cluster["spec"]["bootstrap"]["initdb"]["database"]


def certificate_for(secret_name: str) -> Doc:
    (found,) = [c for c in of_kind("Certificate") if c["spec"]["secretName"] == secret_name]
    return found


def test_every_database_connection_checks_the_servers_certificate() -> None:
    (cluster,) = of_kind("Cluster")
    certificates = cluster["spec"]["certificates"]
    server = certificate_for(certificates["serverTLSSecret"])
    assert certificates["serverCASecret"] == certificates["serverTLSSecret"]  # its ca.crt
    # PostgreSQL refuses a connection without TLS before any password is sent.
    assert {"hostnossl all all 0.0.0.0/0 reject", "hostnossl all all ::/0 reject"} <= set(
        cluster["spec"]["postgresql"]["pg_hba"]
    )
    secret = one("Secret", "baocao-secrets")["stringData"]
    users = {
        ref[2]: workload
        for workload in workloads()
        if (ref := environment(workload).get("DATABASE_URL")) is not None
    }
    assert set(users) == DATABASE_URL_KEYS
    for key, workload in users.items():
        url = urlsplit(secret[key])
        query = parse_qs(url.query)
        assert query["sslmode"] == ["verify-full"], key
        assert url.hostname in server["spec"]["dnsNames"], key
        (root,) = query["sslrootcert"]
        assert mounted_file(workload, root)[:2] == ("ConfigMap", TRUST_CONFIGMAP), key


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
    assert nats_url == f"tls://{release}.{NAMESPACE}.svc.cluster.local:4222"
    assert values["config"]["cluster"]["replicas"] == 3
    assert values["config"]["jetstream"]["enabled"] is True
    monitor = values["config"]["monitor"]["port"]
    for so in of_kind("ScaledObject"):
        endpoint = so["spec"]["triggers"][0]["metadata"]["natsServerMonitoringEndpoint"]
        assert endpoint == f"{release}-headless.{NAMESPACE}.svc.cluster.local:{monitor}"


# Where the NATS chart mounts the server's config (the base of relative includes).
CHART_CONFIG_DIR = "/etc/nats-config"
# Keys that would let someone in without a JWT signed under the operator.
OPEN_DOORS = frozenset(
    {"authorization", "accounts", "no_auth_user", "users", "user", "password", "token", "nkey"}
)


def nats_values() -> Doc:
    (values,) = load(K8S / "nats-values.yaml")
    return values


def keys_anywhere(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield str(key)
            yield from keys_anywhere(value)
    elif isinstance(document, list):
        for item in document:
            yield from keys_anywhere(item)


def patched(values: Doc, section: str, path: str) -> list[Doc]:
    """What the chart's JSON patches of ``section`` add at ``path``."""
    return [p["value"] for p in values[section].get("patch", []) if p["path"] == path]


def test_the_nats_server_runs_in_operator_mode_with_the_full_resolver(
    nats_auth_dir: Path,
) -> None:
    config = nats_values()["config"]
    assert not OPEN_DOORS & set(keys_anywhere(config))
    resolver = config["resolver"]
    assert resolver["enabled"] is True
    # Pushed updates (revocations) are kept across restarts.
    assert resolver["pvc"]["enabled"] is True
    # The resolver the integration tests run: baocao.nats_authority.server_config().
    text = NatsAuthority(nats_auth_dir).server_config(
        store_dir=Path("/data/jetstream"), resolver_dir=Path(resolver["dir"])
    )
    block = re.search(r"^resolver: \{\n(.*?)^\}", text, flags=re.DOTALL | re.MULTILINE)
    assert block is not None
    expected = {
        key: value.strip('"')
        for key, value in re.findall(r"^\s+(\w+): (.+)$", block.group(1), flags=re.MULTILINE)
        if key != "dir"
    }
    ours = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in resolver["merge"].items()
    }
    assert ours == expected
    assert expected["type"] == "full"


def test_the_operator_and_the_accounts_come_from_a_mounted_configmap() -> None:
    values = nats_values()
    # The chart turns a `$include` key into an include directive, relative to its config file.
    included = posixpath.normpath(
        posixpath.join(CHART_CONFIG_DIR, values["config"]["merge"]["$include"])
    )
    directory, _ = posixpath.split(included)
    (mount,) = [
        m for m in patched(values, "container", "/volumeMounts/-") if m["mountPath"] == directory
    ]
    assert mount["readOnly"] is True
    # Mounted under /etc/: the chart's reloader mounts it too and watches the file.
    assert directory.startswith("/etc/")
    (volume,) = [
        v for v in patched(values, "podTemplate", "/spec/volumes/-") if v["name"] == mount["name"]
    ]
    assert volume["configMap"]["name"] == "nats-accounts"


def test_nats_clients_and_routes_use_tls_with_a_certificate_for_their_addresses() -> None:
    values = nats_values()
    config = values["config"]
    client, routes = config["nats"]["tls"], config["cluster"]["tls"]
    assert client["enabled"] is True
    assert routes["enabled"] is True
    assert routes["secretName"] == client["secretName"]
    certificate = certificate_for(client["secretName"])["spec"]
    nats_url = one("ConfigMap", "baocao-config")["data"]["NATS_URL"]
    assert urlsplit(nats_url).hostname in certificate["dnsNames"]
    # Routes dial tls://nats-0.nats-headless:6222 and check each other's certificate.
    assert f"*.{values['fullnameOverride']}-headless" in certificate["dnsNames"]
    assert {"server auth", "client auth"} <= set(certificate["usages"])
    assert values["tlsCA"]["enabled"] is True
    assert values["tlsCA"]["secretName"] == client["secretName"]


def test_nats_box_connects_as_ops_and_keda_reads_the_baocao_account() -> None:
    context = nats_values()["natsBox"]["contexts"]["default"]
    assert context["creds"]["secretName"] == "baocao-nats-ops"
    assert context["creds"]["key"] == NATS_CREDS_KEY
    assert urlsplit(context["merge"]["url"]).scheme == "tls"
    for scaled in of_kind("ScaledObject"):
        # $G, the global account, exists only on a server without an operator.
        assert scaled["spec"]["triggers"][0]["metadata"]["account"] != "$G"


def test_every_certificate_comes_from_an_issuer_of_this_kustomization() -> None:
    issuers = {i["metadata"]["name"] for i in of_kind("Issuer")}
    for certificate in of_kind("Certificate"):
        assert certificate["spec"]["issuerRef"] == {
            "name": certificate["spec"]["issuerRef"]["name"],
            "kind": "Issuer",
        }
        assert certificate["spec"]["issuerRef"]["name"] in issuers
        assert "privateKey" in certificate["spec"]


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


@pytest.mark.parametrize("workload", workloads(), ids=lambda w: w["metadata"]["name"])
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
    # The only writable place, for Python's and libraries' temporary files; the rest are
    # settings and keys mounted read-only.
    writable = [path for path, (mount, _) in mounts(workload).items() if not mount.get("readOnly")]
    assert writable == ["/tmp"]
    assert "emptyDir" in mounts(workload)["/tmp"][1]
    for path, (_, volume) in mounts(workload).items():
        if path != "/tmp":
            assert volume.keys() & {"configMap", "secret"}, path
        if "secret" in volume:
            # Readable by the pod's own group only (fsGroup), never by the world.
            assert volume["secret"]["defaultMode"] == 0o440, path
            assert pod["securityContext"]["fsGroup"] == RUN_AS_USER


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


def test_the_web_app_calls_the_services_in_the_cluster_and_signs_in_through_the_provider() -> None:
    env = {name: value_of(source) for name, source in environment(deployment("web")).items()}
    for spec in SERVICES:
        assert env[f"WEB_{spec.name.upper()}_URL"] == (
            f"http://baocao-{spec.name}.{NAMESPACE}.svc.cluster.local:{spec.default_port}"
        )
    assert "DATABASE_URL" not in env
    assert "NATS_CREDS" not in env
    # The provider is the site's own: configmap.yaml shows where to name it.
    site_specific = ["WEB_OIDC_CLIENT_ID and BAOCAO_OIDC_ISSUER are needed to sign people in"]
    assert web_production.problems(WebSettings.model_validate(env)) == site_specific
    env["BAOCAO_OIDC_ISSUER"] = "https://sso.example.gov.vn/realms/baocao"
    assert web_production.problems(WebSettings.model_validate(env)) == []


def test_the_web_apps_secrets_are_placeholders_mounted_read_only() -> None:
    secret = one("Secret", "baocao-web")
    assert set(secret["stringData"].values()) == {"CHANGE-ME"}
    mounts = {m["name"]: m for m in container(deployment("web"))["volumeMounts"]}
    assert mounts["web-secrets"]["readOnly"] is True


def test_the_production_hub_takes_edges_over_tls_in_its_own_domain() -> None:
    config = nats_values()["config"]
    leafnodes = config["leafnodes"]

    assert leafnodes["enabled"] is True
    assert leafnodes["port"] == 7422
    assert leafnodes["tls"]["enabled"] is True
    assert leafnodes["merge"]["compression"] == "off"
    # An edge behind a proxy or a NAT keeps to the address it was given.
    assert leafnodes["merge"]["no_advertise"] is True
    # The domain edges tell the hub apart by, as the embedded hub names it.
    assert config["jetstream"]["merge"]["domain"] == subjects.HUB_DOMAIN
