"""docker-compose.yml and the Dockerfile, checked as far as a machine without Docker can:
the files parse, and every command, variable and path they name exists in the project."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.commands.cli import build_parser
from gateway.settings import Settings
from tests.dbserver import MYSQL_LINE

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message} (compose's
# interpolation; $$ is a literal dollar for the container's shell, not interpolated).
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def seguimiento_commands(command: Any) -> list[list[str]]:
    """Every `seguimiento ...` invocation in a compose/Dockerfile command (list or sh -c)."""
    words = command if isinstance(command, list) else shlex.split(command)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in " ".join(words[2:]).split("&&")]
    return [words]


def parses(argv: list[str]) -> argparse.Namespace:
    assert argv[0] == "seguimiento", argv
    parser = build_parser()
    known, _ = parser.parse_known_args(argv[1:])
    importlib.import_module(known.module).add_arguments(known._sub)
    return parser.parse_args(argv[1:])


class RefusedToStart(ValueError):
    """Compose stops here: a required variable is unset (its message is compose's)."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """``value`` as compose gives it to the container, with ``variables`` set and no others
    (the compose spec's rules for the forms above; ``$$`` becomes ``$``)."""

    def one(match: re.Match[str]) -> str:
        got, op, arg = variables.get(match["name"]), match["op"], match["arg"]
        if op in (":?", "?") and (got is None or (op == ":?" and not got)):
            raise RefusedToStart(f"{match['name']}: {arg}")
        if op == ":-" and not got or op == "-" and got is None:
            return str(arg)
        return got or ""

    return VARIABLE.sub(one, value).replace("$$", "$")


def service_environment(service: str, variables: Mapping[str, str]) -> dict[str, str]:
    """The environment compose gives ``service``'s container."""
    return {name: interpolate(str(value), variables)
            for name, value in COMPOSE["services"][service].get("environment", {}).items()}


def test_mysql_is_the_tested_line_with_the_event_scheduler_a_healthcheck_and_a_named_volume() -> None:
    mysql = COMPOSE["services"]["mysql"]
    assert mysql["image"] == f"mysql:{MYSQL_LINE}"
    assert "ports" not in mysql, "the database is reachable by the other services only"
    assert "--event-scheduler=ON" in mysql["command"]
    assert "mysqladmin ping" in " ".join(mysql["healthcheck"]["test"])
    volume = mysql["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_migrate_runs_once_after_mysql_is_healthy_and_the_gateway_after_it() -> None:
    services = COMPOSE["services"]
    assert services["migrate"]["depends_on"]["mysql"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["gateway"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", ["migrate", "gateway"])
def test_every_command_is_a_real_seguimiento_command(service: str) -> None:
    commands = seguimiento_commands(COMPOSE["services"][service]["command"])
    assert commands
    for argv in commands:
        parses([re.sub(r"^\$\$", "$", word) for word in argv])


def test_the_gateway_logs_in_as_the_application_account() -> None:
    url = COMPOSE["services"]["gateway"]["environment"]["SEGUIMIENTO_DATABASE_URL"]
    assert url.startswith("mysql://seguimiento_app:")
    assert "--app-password" in str(COMPOSE["services"]["migrate"]["command"])


def test_every_variable_the_gateway_is_given_is_a_setting() -> None:
    fields = {f"SEGUIMIENTO_{name.upper()}" for name in Settings.model_fields}
    for name in COMPOSE["services"]["gateway"]["environment"]:
        assert name in fields, name


def test_variables_of_the_migrate_step_are_used_by_its_command() -> None:
    migrate = COMPOSE["services"]["migrate"]
    command = " ".join(migrate["command"])
    for name in migrate["environment"]:
        assert name == "SEGUIMIENTO_DATABASE_URL" or f"$${name}" in command, name


def test_the_dockerfile_copies_paths_that_exist_and_runs_a_real_command() -> None:
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY "):
            for source in [word for word in line.split()[1:-1] if not word.startswith("--")]:
                assert (ROOT / source).exists(), source
    cmd = re.search(r"^CMD (.+)$", DOCKERFILE, re.MULTILINE)
    assert cmd is not None
    parses(yaml.safe_load(cmd.group(1)))
    for name in re.findall(r"\b(SEGUIMIENTO_[A-Z_]+)=", DOCKERFILE):
        assert name.removeprefix("SEGUIMIENTO_").lower() in Settings.model_fields, name


def test_the_image_installs_the_package_rather_than_running_the_source_tree() -> None:
    """The image gets what a wheel carries (the SQL included), as tests/test_wheel.py runs it."""
    stages = re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)[1:]
    final = stages[-1]
    assert "COPY gateway" not in final and "COPY sql" not in final and "COPY . " not in final
    assert re.search(r"pip install [^\n]*--no-index --find-links /wheels seguimiento", final)
    assert not re.search(r"pip install[^\n]*(-e|--editable)\b", DOCKERFILE)
    assert re.search(r"pip wheel [^\n]*--wheel-dir /wheels \.$", stages[0], re.MULTILINE)


def test_no_password_has_a_default_compose_refuses_to_start_without_each() -> None:
    references = list(VARIABLE.finditer(COMPOSE_TEXT))
    passwords = [m for m in references if "PASSWORD" in m["name"]]
    assert {m["name"] for m in passwords} == {
        "MYSQL_ROOT_PASSWORD", "SEGUIMIENTO_APP_PASSWORD", "SEGUIMIENTO_REPORTING_PASSWORD"}
    for match in passwords:
        assert match["op"] == ":?" and match["name"] in match["arg"], match[0]
    assert "change-me" not in COMPOSE_TEXT
    given = {"MYSQL_ROOT_PASSWORD": "r00t", "SEGUIMIENTO_APP_PASSWORD": "app", "SEGUIMIENTO_REPORTING_PASSWORD": "rep"}
    assert service_environment("gateway", given)["SEGUIMIENTO_DATABASE_URL"].startswith("mysql://seguimiento_app:app@")
    for missing in given:
        users = [name for name, spec in COMPOSE["services"].items() if missing in str(spec.get("environment"))]
        assert users, missing
        for service in users:
            with pytest.raises(RefusedToStart, match=missing):
                service_environment(service, {**given, missing: ""})


def test_the_gateway_is_published_on_loopback_only_by_default() -> None:
    """Plain HTTP, and /metrics without a token: not on the network unless someone says so."""
    ports = COMPOSE["services"]["gateway"]["ports"]
    assert ports
    for mapping in ports:
        host, _published, _target = interpolate(mapping, {}).split(":")
        assert host == "127.0.0.1", mapping
    assert [service for service, spec in COMPOSE["services"].items() if "ports" in spec] == ["gateway"]
