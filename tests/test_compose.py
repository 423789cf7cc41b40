"""docker-compose.yml and the Dockerfile, checked as far as a machine without Docker can:
the files parse, and every command, variable and path they name exists in the project."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.cli import build_parser
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


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


def test_mysql_is_84_with_the_event_scheduler_a_healthcheck_and_a_named_volume() -> None:
    mysql = COMPOSE["services"]["mysql"]
    assert mysql["image"] == "mysql:8.4"
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
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE)
    assert cmd is not None
    parses(yaml.safe_load(cmd.group(1)))
    for name in re.findall(r"\b(SEGUIMIENTO_[A-Z_]+)=", dockerfile):
        assert name.removeprefix("SEGUIMIENTO_").lower() in Settings.model_fields, name
