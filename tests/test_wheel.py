"""The package carries its SQL: built as a packager builds it (the sdist, then the wheel from
the sdist), installed without the checkout into a clean virtualenv, and run from another
folder, ``seguimiento`` migrates, grants the three accounts and serves as the app account.
It does so by replaying docker-compose.yml: its commands, with the environment compose gives
each service, on the wheel installed as the image installs it (no Docker engine runs here).

The build starts from exactly the files the Dockerfile's build stage copies, so the image's
build is replayed too: a file the build needs (setup.py, say) missing from its COPY lines
fails here, where a Docker engine is not needed to see it.

The new virtualenv gets the wheel alone (``--no-deps``); its dependencies come from this test
run's own environment through a ``.pth`` line, so the test needs no download beyond the build
backend, and what it proves is only about the wheel's contents. It asserts that ``gateway``
is imported from the new virtualenv, never from the checkout.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from gateway.db import grants
from gateway.db.dburl import DatabaseUrl
from gateway.db.sqlfiles import CHECKOUT_SQL_DIR, load_objects
from gateway.web.dashboard import STATIC_DIR
from tests.dbserver import drop_database, throwaway_name
from tests.gateway.harness import Api, GatewayProcess, listen, run, url_text
from tests.support import Db, connect
from tests.test_compose import COMPOSE, interpolate, service_environment

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 300


@dataclass(frozen=True)
class Installed:
    """A virtualenv with the built wheel installed, and the environment to run it in."""

    venv: Path
    env: dict[str, str]

    @property
    def seguimiento(self) -> str:
        return str(self.venv / "bin" / "seguimiento")


def sql_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.sql")}


def docker_build_context(dest: Path) -> Path:
    """The files the Dockerfile's build stage copies from the checkout, laid out as it does."""
    stages = re.split(r"^FROM ", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    (stage,) = [s for s in stages if s.split("\n", 1)[0].rstrip().endswith(" AS build")]
    copies = [line.split()[1:] for line in stage.splitlines() if line.startswith("COPY ")]
    assert copies, "the Dockerfile's build stage copies nothing"
    ignore = shutil.ignore_patterns("__pycache__", "*.py[cod]")
    for *sources, target in copies:
        for source in sources:
            # The replay only knows "same place as in the checkout" (WORKDIR is the root).
            assert target in ("./", f"./{source}"), f"COPY {source} {target}"
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, dest / source, ignore=ignore)
            else:
                shutil.copy2(ROOT / source, dest / source)
    return dest


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built by `python -m build` (the wheel from the sdist) from
    the Dockerfile's build context."""
    context = docker_build_context(tmp_path_factory.mktemp("context"))
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(context)],
                           capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    (wheel,) = dist.glob("*.whl")
    # This run's pip installs into the new venv (pip >= 22.3), which therefore needs none of its own.
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                          "--no-index", str(wheel)], capture_output=True, text=True, timeout=120, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    # The dependencies from this run's environment, appended after the new venv's own
    # site-packages (a .pth line is a plain path: the editable install's finder hook in
    # there is not run, so the checkout's gateway cannot come in that way).
    (new_site,) = (venv / "lib").glob("python3*/site-packages")
    (new_site / "test-run-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUIMIENTO_") and k != "VIRTUAL_ENV"}
    # Set rather than removed, so GatewayProcess (which starts from os.environ) keeps it off too.
    env["PYTHONPATH"] = ""
    return Installed(venv, env)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder that is not the checkout, and has no sql/ in it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_the_sdist_and_the_wheel_carry_every_sql_file(dist: Path) -> None:
    expected = sql_files(CHECKOUT_SQL_DIR)
    assert {"grants.sql", "migrations/0001_esquema_inicial.sql"} <= expected
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if name.endswith(".sql")}
    assert in_sdist == {f"sql/{name}" for name in expected}
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.endswith(".sql")}
    assert in_wheel == {f"gateway/sql/{name}" for name in expected}


def test_the_wheel_carries_every_dashboard_file(dist: Path) -> None:
    # package-data in pyproject.toml lists the dashboard's files by pattern; a new kind of
    # asset (a vendored library, a font) that no pattern matches would be left out silently.
    expected = {f"gateway/web/static/{p.relative_to(STATIC_DIR)}" for p in STATIC_DIR.rglob("*") if p.is_file()}
    assert "gateway/web/static/gtr.html" in expected
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.startswith("gateway/web/static/")}
    assert in_wheel == expected


def test_the_installed_package_reads_its_own_sql_not_the_checkouts(installed: Installed, elsewhere: Path) -> None:
    probe = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c",
         "import gateway, gateway.db.sqlfiles as s; print(gateway.__file__); print(s.SQL_DIR)"],
        cwd=elsewhere, env=installed.env, capture_output=True, text=True, timeout=60, check=True)
    package_file, sql_dir = (Path(line) for line in probe.stdout.split())
    assert package_file.resolve().is_relative_to(installed.venv.resolve()), package_file
    assert sql_dir.resolve() == package_file.resolve().parent / "sql"


@pytest.fixture
def database(server: DatabaseUrl) -> Iterator[DatabaseUrl]:
    url = server.with_database(throwaway_name("seg_wheel"))
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def prefix(server: DatabaseUrl) -> Iterator[str]:
    """A random account prefix; its accounts are dropped afterwards."""
    name = "sw" + secrets.token_hex(3)
    try:
        yield name
    finally:
        admin = connect(server.with_database("mysql"))
        try:
            for account in grants.accounts_for(name).values():
                admin.cursor().execute(f"DROP USER IF EXISTS {account.sql()}")
        finally:
            admin.close()


@dataclass(frozen=True)
class ComposeNetwork:
    """Where the replay finds what compose's network names: the service ``mysql`` is the test
    server, its database ``seguimiento`` a throwaway one, its ``root`` the server's admin, and
    the accounts' prefix ``seguimiento`` a random one (the server is shared with other runs)."""

    admin: DatabaseUrl
    prefix: str

    def url(self, compose_url: str) -> str:
        url = DatabaseUrl.parse(compose_url)
        assert (url.host, url.port, url.database) == ("mysql", 3306, "seguimiento"), url
        if url.user == "root":
            return url_text(self.admin)
        assert url.user.startswith("seguimiento_"), url
        return url_text(self.admin.model_copy(
            update={"user": self.prefix + url.user.removeprefix("seguimiento"), "password": url.password}))

    def environment(self, service: str, variables: dict[str, str]) -> dict[str, str]:
        env = service_environment(service, variables)
        env["SEGUIMIENTO_DATABASE_URL"] = self.url(env["SEGUIMIENTO_DATABASE_URL"])
        return env


def test_compose_replayed_with_the_wheel_from_another_folder_serves_the_seed_flow_as_the_app_account(
        installed: Installed, elsewhere: Path, database: DatabaseUrl, prefix: str) -> None:
    """docker-compose.yml's steps, run with the environment it gives each service, on the
    wheel installed as the image installs it: migrate + grants, a GTR token as the README
    says (``docker compose run --rm migrate seguimiento token create --role gtr``), then the
    gateway as the app account, and a customer through the seed's flow."""
    network = ComposeNetwork(database, prefix)
    variables = {"MYSQL_ROOT_PASSWORD": "unused-the-test-server-has-its-own",
                 "SEGUIMIENTO_APP_PASSWORD": secrets.token_urlsafe(12),
                 "SEGUIMIENTO_REPORTING_PASSWORD": secrets.token_urlsafe(12)}
    # The image puts `seguimiento` on PATH; so does this replay, with the wheel's.
    path = {"PATH": f"{installed.venv / 'bin'}{os.pathsep}{installed.env.get('PATH', os.defpath)}"}

    migrate_env = {**installed.env, **network.environment("migrate", variables), **path}
    command = [interpolate(word, variables) for word in COMPOSE["services"]["migrate"]["command"]]
    assert command[:2] == ["sh", "-c"] and "seguimiento grants " in command[2], command
    command[2] = command[2].replace("seguimiento grants ", f"seguimiento grants --prefix {prefix} ")
    migrated = subprocess.run(command, cwd=elsewhere, env=migrate_env, capture_output=True, text=True,
                              timeout=180, check=False)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    db = Db(database)
    try:
        migrations = {r["migration_id"] for r in db.query("SELECT migration_id FROM _yoyo_migration")}
        installed_objects = {r["nombre"] for r in db.query("SELECT nombre FROM objetos_instalados")}
    finally:
        db.close()
    assert migrations == {p.stem for p in (CHECKOUT_SQL_DIR / "migrations").glob("*.sql")}
    assert installed_objects == {o.name for o in load_objects(CHECKOUT_SQL_DIR)}

    def token_create(*args: str) -> str:
        created = subprocess.run(["seguimiento", "token", "create", *args], cwd=elsewhere, env=migrate_env,
                                 capture_output=True, text=True, timeout=60, check=False)
        assert created.returncode == 0, created.stdout + created.stderr
        return created.stdout.split()[-1]

    gateway_env = {**installed.env, **network.environment("gateway", variables), **path}
    app_url = DatabaseUrl.parse(gateway_env["SEGUIMIENTO_DATABASE_URL"])
    assert app_url.user == grants.accounts_for(prefix)["app"].user
    assert gateway_env["SEGUIMIENTO_DATABASE_SSL_MODE"] == "required"
    if offers_tls(database):
        # Proof that the gateway's sessions are encrypted: the server refuses the app account
        # any other way.
        execute_as_admin(database, f"ALTER USER {grants.accounts_for(prefix)['app'].sql()} REQUIRE SSL")
    else:
        # Only the machine's MariaDB 10.11, which offers no TLS; MySQL (compose's engine)
        # and MariaDB 11.8 do, and run the step as compose writes it.
        gateway_env["SEGUIMIENTO_DATABASE_SSL_MODE"] = "preferred"
    assert COMPOSE["services"]["gateway"]["command"] == ["seguimiento", "serve"]
    # GatewayProcess adds `serve`, the same database URL, and a free loopback port.
    with GatewayProcess(app_url, command=[installed.seguimiento], cwd=str(elsewhere), env=gateway_env) as gateway:
        seed_flow(gateway.base, token_create("--role", "gtr"), token_create)


def offers_tls(url: DatabaseUrl) -> bool:
    db = Db(url)  # mysql-connector uses TLS whenever the server offers it
    try:
        return bool(db.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0]["Value"])
    finally:
        db.close()


def execute_as_admin(url: DatabaseUrl, statement: str) -> None:
    db = Db(url)
    try:
        db.execute(statement)
    finally:
        db.close()


@run(timeout=90)
async def seed_flow(base: str, gtr_token: str, token_create: Callable[..., str]) -> None:
    async with aiohttp.ClientSession() as session:
        status, health = await Api(session, base, None).status("GET", "/health")
        assert status == 200 and health["database"] == "up", health
        status, _ = await Api(session, base, None).status("GET", "/api/clientes")
        assert status == 401
        gtr = Api(session, base, gtr_token)
        asesor = (await gtr.call("POST", "/api/asesores", {"nombre": "Ana"}, expect=201))["asesorId"]
        ana = Api(session, base, token_create("--role", "asesor", "--asesor", str(asesor)))
        board = await gtr.call("GET", "/api/clientes", expect=200)
        gtr_ws = await listen(session, base, gtr_token, since=board["snapshotOutboxId"])

        # Names outside Latin-1 go through the wheel's schema intact.
        nombre = "Año Ñandú 王小明 🎧"
        cliente = (await gtr.call("POST", "/api/clientes", {"nombre": nombre, "telefono": "999111222"},
                                  expect=201))["clienteId"]
        await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor}, expect=200)
        lock = (await ana.call("POST", f"/api/clientes/{cliente}/lock", {}, expect=200))["lockToken"]
        await ana.call("POST", f"/api/clientes/{cliente}/open-wizard", {"asesorId": asesor, "lockToken": lock},
                       expect=200)
        await ana.call("PATCH", f"/api/clientes/{cliente}/estatus", {"estatus": "terminado", "lockToken": lock},
                       expect=200)
        await gtr_ws.until_type("CLIENT_COMPLETED")
        assert [m["type"] for m in gtr_ws.messages] == [
            "CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_COMPLETED"]
        assert gtr_ws.messages[0]["data"]["nombre"] == nombre
        one = await gtr.call("GET", f"/api/clientes/{cliente}", expect=200)
        assert (one["nombre"], one["seguimiento_status"], one["wizard_completado"]) == (nombre, "terminado", True)
        await gtr_ws.close()
