"""`seguimiento run`: one command to a working system on a private database."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import mysql.connector
import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.embedded import EmbeddedServerError, find_server_binary, free_port
from tests.reliability.recording import Record, reliability  # noqa: F401  (the fixture)
from tests.support import Db

OTHER_USER = "nobody"
SECURE_FILE_PRIV = 1290  # ER_OPTION_PREVENTS_STATEMENT


@pytest.fixture
def start() -> Iterator[Callable[[Path, int], subprocess.Popen[str]]]:
    """Starts `seguimiento run` (no database configured); kills whatever a failed test left."""
    started: list[subprocess.Popen[str]] = []

    def run(data_dir: Path, port: int) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUIMIENTO_")}
        # SIGINT as in a terminal, where Ctrl-C comes from: a suite started in the background
        # by a script (`cmd &`) ignores SIGINT, which its children would inherit.
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 90) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    proc.kill()
    raise AssertionError(f"no {needle!r} in the output of seguimiento run:\n{''.join(lines)}")


def get(url: str, token: str) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def server_processes(data_dir: Path) -> list[str]:
    ps = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in ps.splitlines() if str(data_dir.resolve()) in line and "datadir" in line]


def test_run_starts_a_private_database_with_demo_data_and_stops_it_on_ctrl_c(
        tmp_path: Path, start: Callable[[Path, int], subprocess.Popen[str]]) -> None:
    data_dir, port = tmp_path / "db", free_port()
    proc = start(data_dir, port)
    lines = wait_for_line(proc, "listening on")
    output = "".join(lines)
    assert f"http://127.0.0.1:{port}/gtr?token=" in output

    tokens = json.loads((data_dir / "demo-tokens.json").read_text())
    board = get(f"http://127.0.0.1:{port}/api/clientes?limit=100", tokens["gtr"])
    assert isinstance(board, dict)
    states = Counter(c["seguimiento_status"] for c in board["clientes"])
    assert states == {"nuevo": 10, "derivado": 8, "en_gestion": 6, "terminado": 8, "no_gestionado": 4}
    health = get(f"http://127.0.0.1:{port}/health", tokens["gtr"])
    assert isinstance(health, dict) and (health["status"], health["eventScheduler"]) == ("ok", "ON")
    asesor_id, (_, asesor_token) = next(iter(tokens["asesores"].items()))
    own = get(f"http://127.0.0.1:{port}/api/clientes?limit=100", asesor_token)
    assert isinstance(own, dict) and {c["asesor_asignado"] for c in own["clientes"]} == {int(asesor_id)}

    out = stop(proc)
    assert "stopping the private database" in out
    assert server_processes(data_dir) == [], "the private server outlived Ctrl-C"

    # A second run reuses the data: same tokens, no second demo load.
    proc = start(data_dir, port)
    wait_for_line(proc, "listening on")
    again = get(f"http://127.0.0.1:{port}/api/clientes?limit=100", tokens["gtr"])
    assert isinstance(again, dict) and again["total"] == board["total"]
    stop(proc)


def test_without_a_server_binary_it_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError) as info:
        find_server_binary(search_path=str(tmp_path))
    message = str(info.value)
    assert "apt-get install mariadb-server" in message and "docker compose up" in message


def test_ctrl_c_stops_the_database_even_when_the_terminal_is_gone(
        tmp_path: Path, start: Callable[[Path, int], subprocess.Popen[str]]) -> None:
    data_dir = tmp_path / "db"
    proc = start(data_dir, free_port())
    wait_for_line(proc, "listening on")
    assert proc.stdout is not None
    proc.stdout.close()  # the terminal went away: every later print fails
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert server_processes(data_dir) == [], "the private server outlived its run"


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder any local user may enter and list, for the data. pytest's own tmp dirs are
    0700 and would keep other users out by themselves: here only the run's modes can."""
    folder = Path(tempfile.mkdtemp(prefix="seg-run-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_other_user(*command: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("runuser") is None or shutil.which("mariadb") is None:
        pytest.fail("this test needs runuser (util-linux) and the mariadb client", pytrace=False)
    return subprocess.run(["runuser", "-u", OTHER_USER, "--", *command], capture_output=True, text=True,
                          timeout=30, check=False)


def test_no_other_local_user_gets_into_the_private_database(
        open_folder: Path, start: Callable[[Path, int], subprocess.Popen[str]],
        reliability: Record) -> None:  # noqa: F811  (the fixture imported above)
    """Another local user against `seguimiento run`'s private database (issue 10, item 2)"""
    reliability.load = "`seguimiento run` with its private database and demo data, data folder in a 0755 folder"
    reliability.faults = f"the OS user {OTHER_USER} (runuser), on the same host"
    reliability.inputs = ("`mariadb` over TCP as root, nobody, the three grants accounts and the empty user, "
                          "and over the socket as root, each running `CALL sp_crear_token(...)` and "
                          "`SELECT ... INTO OUTFILE`; `cat` of the password and token files; root's own "
                          "`INTO OUTFILE` outside files/")
    data_dir, port = open_folder / "db", free_port()
    proc = start(data_dir, port)
    output = "".join(wait_for_line(proc, "listening on"))
    found = re.search(r"database mysql://root@127\.0\.0\.1:(\d+)/seguimiento ready", output)
    assert found, output
    db_port = int(found.group(1))
    assert f"(database mysql://seguimiento_app@127.0.0.1:{db_port}/seguimiento)" in output, output
    assert as_other_user("ls", str(open_folder)).returncode == 0, "the premise: the other user reaches the folder"

    admin = Db(DatabaseUrl(user="root", password=(data_dir / "secrets" / "root.password").read_text().strip(),
                           port=db_port, database="seguimiento"))
    tokens_before = admin.query("SELECT COUNT(*) AS n FROM api_tokens")[0]["n"]
    written = open_folder / "written-by-the-server"
    attack = ("CALL seguimiento.sp_crear_token(SHA2('intruso', 256), 'gtr', NULL, 'intruso'); "
              f"SELECT 'x' INTO OUTFILE '{written}'")
    users = ("root", OTHER_USER, "seguimiento_app", "seguimiento_owner", "seguimiento_reporting", "")
    logins = [as_other_user("mariadb", "-h127.0.0.1", f"-P{db_port}", f"--user={user}", "-e", attack)
              for user in users]
    socket = as_other_user("mariadb", f"--socket={data_dir / 'run' / 'server.sock'}", "--user=root", "-e", attack)
    secrets = (*sorted((data_dir / "secrets").iterdir()), data_dir / "demo-tokens.json")
    reads = [as_other_user("cat", str(secret)) for secret in secrets]
    minted = admin.query("SELECT COUNT(*) AS n FROM api_tokens")[0]["n"] - tokens_before
    reliability.figures(logins_let_in=sum(r.returncode == 0 for r in [*logins, socket]),
                        tokens_minted=minted, files_written=int(written.exists()),
                        secret_files_read=sum(r.returncode == 0 for r in reads))
    for user, tcp in zip(users, logins, strict=True):
        assert tcp.returncode != 0 and "ERROR 1045" in tcp.stderr, (user, tcp.stdout, tcp.stderr)
    assert socket.returncode != 0 and "ERROR 2002" in socket.stderr, socket.stderr
    for secret, read in zip(secrets, reads, strict=True):
        assert read.returncode != 0, f"{secret} is readable by {OTHER_USER}"
    assert minted == 0, "a token was minted"
    assert not written.exists()

    # Root itself writes files only into the folder of its own.
    assert admin.query("SELECT @@secure_file_priv AS d")[0]["d"].rstrip("/") == str(data_dir / "files")
    with pytest.raises(mysql.connector.Error) as info:
        admin.query(f"SELECT 'x' INTO OUTFILE '{written}'")
    assert info.value.errno == SECURE_FILE_PRIV and not written.exists()

    # The gateway's connections are the app account's.
    gateway_users = {r["USER"] for r in admin.query(
        "SELECT USER FROM information_schema.PROCESSLIST WHERE DB = 'seguimiento' AND ID <> CONNECTION_ID()")}
    assert gateway_users == {"seguimiento_app"}, gateway_users
    admin.close()

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    for folder in (data_dir, *(data_dir / name for name in ("data", "run", "secrets", "files", "tmp"))):
        assert mode(folder) == 0o700, folder
    assert sorted(p.name for p in (data_dir / "secrets").iterdir()) == [
        "root.password", "seguimiento_app.password", "seguimiento_reporting.password"]
    for secret in (*(data_dir / "secrets").iterdir(), data_dir / "demo-tokens.json"):
        assert mode(secret) == 0o600, secret
    stop(proc)
