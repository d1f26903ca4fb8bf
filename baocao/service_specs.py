"""The four services (and the web app) as processes: their modules, ports, database logins and
NATS users.

What :class:`baocao.stack.Stack` starts, the deploy manifests are checked against, and the
chaos run kills, one service at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.roles import SERVICE_ROLES


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port_variable: str
    default_port: int

    @property
    def database_variable(self) -> str:
        """Where an operator gives this service's own database URL (its role's login); the
        process itself always reads DATABASE_URL, which the stack sets from it."""
        return f"{self.name.upper()}_DATABASE_URL"

    @property
    def role(self) -> str:
        return SERVICE_ROLES[self.name]


SERVICES = (
    ServiceSpec("intake", "services.intake", "INTAKE_PORT", 8080),
    ServiceSpec("aggregator", "services.aggregator", "AGGREGATOR_PORT", 8081),
    ServiceSpec("validator", "services.validator", "VALIDATOR_PORT", 8082),
    ServiceSpec("notifier", "services.notifier", "NOTIFIER_PORT", 8083),
)
SERVICE_BY_NAME = {spec.name: spec for spec in SERVICES}
# The web app: a fifth process with no database login and no NATS user, which calls the four
# services' HTTP APIs with the signed-in person's token (ADR 0021). Not among SERVICES, which
# the chaos run kills and the database roles are made for.
WEB = ServiceSpec("web", "services.web", "WEB_PORT", 8090)
PROCESS_BY_NAME = {**SERVICE_BY_NAME, WEB.name: WEB}
SERVICE_NAMES = tuple(spec.name for spec in SERVICES)
DATABASE_VARIABLES = frozenset({"DATABASE_URL", *(spec.database_variable for spec in SERVICES)})
# Logins a service process must not inherit: the owner's, other services', ops' NATS user.
PRIVATE_VARIABLES = DATABASE_VARIABLES | {
    "NATS_CREDS",
    *(f"{spec.name.upper()}_NATS_CREDS" for spec in SERVICES),
}
