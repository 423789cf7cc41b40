"""TLS to the database, by ``database_ssl_mode``.

``preferred`` (the default) uses TLS when the server offers it and plain text when it does
not: MySQL 8.4 refuses caching_sha2_password logins over plain text, so a gateway that
always disabled TLS could not log in to a production server. ``required`` and
``verify_identity`` never fall back: a server (or a man-in-the-middle) that offers no TLS,
or a certificate that does not verify, gets no session at all (issue 10: a failed probe
fell back to plain text, so the encryption could be stripped)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from gateway.db import procedures
from gateway.db.dburl import DatabaseUrl
from gateway.db.embedded import EmbeddedServer
from gateway.db.migrate import migrate
from gateway.db.procedures import Database, SslMode, TlsRequired, certificate_names
from tests.gateway.harness import Api, make_token, run, running_gateway
from tests.support import Db


def certificate(directory: Path, name: str, san: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for ``san``, and its key."""
    key, cert = directory / f"{name}-key.pem", directory / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DatabaseUrl, Path, Path]]:
    """A private server with a certificate for 127.0.0.1; its CA file, and an unrelated CA."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = certificate(directory, "server", "IP:127.0.0.1")
    stranger, _ = certificate(directory, "stranger", "IP:127.0.0.1")
    with EmbeddedServer(directory / "db", options=(f"--ssl-cert={cert}", f"--ssl-key={key}")) as server:
        migrate(server.url)
        yield server.url, cert, stranger


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseUrl]:
    """A private server that offers no TLS at all (--skip-ssl), as a downgrading
    man-in-the-middle would look. Not the test run's own server: MySQL 9.7 and MariaDB 11.8
    offer TLS by default, MariaDB 10.11 as packaged does not."""
    with EmbeddedServer(tmp_path_factory.mktemp("plain") / "db", options=("--skip-ssl",)) as server:
        migrate(server.url)
        yield server.url


async def call_and_cipher(db: Database) -> tuple[int, str]:
    try:
        asesor = await procedures.crear_asesor(db, "Ana")
        async with db.connection() as conn:
            cur = await conn.cursor()
            await cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            rows = await cur.fetchall()
            await cur.close()
        return asesor, str(rows[0][1])
    finally:
        await db.close()


def cipher_of(url: DatabaseUrl, mode: SslMode, ca: Path | None = None) -> str:
    db = Database(url, size=1, ssl_mode=mode, ssl_ca=None if ca is None else str(ca))
    asesor, cipher = asyncio.run(call_and_cipher(db))
    assert asesor >= 1
    return cipher


def test_a_server_with_tls_gets_tls_in_every_mode_but_disabled(tls_server: tuple[DatabaseUrl, Path, Path]) -> None:
    url, ca, _stranger = tls_server
    assert cipher_of(url, "preferred"), "preferred did not use the TLS the server offers"
    assert cipher_of(url, "required"), "required gave a plain session"
    assert cipher_of(url, "required", ca)
    assert cipher_of(url, "verify_identity", ca)
    assert cipher_of(url, "disabled") == ""


def test_a_certificate_that_does_not_verify_gets_no_session(tls_server: tuple[DatabaseUrl, Path, Path]) -> None:
    url, ca, stranger = tls_server
    # Signed by another CA: what a man-in-the-middle with its own certificate presents.
    for mode in ("required", "verify_identity"):
        with pytest.raises(TlsRequired):
            cipher_of(url, mode, stranger)  # type: ignore[arg-type]
    # The right CA, but the certificate does not name the host the URL connects to.
    with pytest.raises(TlsRequired):
        cipher_of(url.model_copy(update={"host": "localhost"}), "verify_identity", ca)


def test_a_server_without_tls_gets_plain_text_only_when_allowed(plain_server: DatabaseUrl) -> None:
    assert cipher_of(plain_server, "preferred") == ""
    assert cipher_of(plain_server, "disabled") == ""
    # A server that offers no TLS, as a downgrading man-in-the-middle would not: no session.
    for mode in ("required", "verify_identity"):
        with pytest.raises(TlsRequired):
            cipher_of(plain_server, mode)  # type: ignore[arg-type]


def test_a_gateway_requiring_tls_answers_503_rather_than_talk_plain_text(plain_server: DatabaseUrl) -> None:
    db = Db(plain_server)
    try:
        token = make_token(db, "gtr")
    finally:
        db.close()
    refuses_plain_text(plain_server, token)


@run(timeout=60)
async def refuses_plain_text(url: DatabaseUrl, token: str) -> None:
    async with running_gateway(url, database_ssl_mode="required", connect_timeout=2.0) as gw, \
            aiohttp.ClientSession() as session:
        status, body = await Api(session, gw.base, token).status("GET", "/api/me")
        assert status == 503 and body["error"]["code"] == "database_unavailable", body
        async with session.get(gw.base + "/health") as response:
            assert response.status == 503


def test_the_host_name_check_matches_ip_and_dns_names_only_as_browsers_do() -> None:
    cert = {"subject": ((("commonName", "db.example"),),),
            "subjectAltName": (("DNS", "*.db.example"), ("DNS", "primary.example"), ("IP Address", "10.0.0.7"))}
    assert certificate_names(cert, "replica.db.example")
    assert certificate_names(cert, "PRIMARY.example.")
    assert certificate_names(cert, "10.0.0.7")
    assert not certificate_names(cert, "db.example")  # the common name does not count
    assert not certificate_names(cert, "a.b.db.example")  # a wildcard is one label
    assert not certificate_names(cert, "10.0.0.8")
    assert not certificate_names(cert, "evil.example")
    assert not certificate_names({"subjectAltName": (("DNS", "*.example"),)}, "x.example")  # too broad
