"""The gateway's asyncio connections use TLS when the server offers it and plain text when
it does not. MySQL 8.4 refuses caching_sha2_password logins over plain text, so a gateway
that always disabled TLS could not log in to a production server."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from gateway import procedures
from gateway.dburl import DatabaseUrl
from gateway.embedded import EmbeddedServer
from gateway.migrate import migrate
from gateway.procedures import Database


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


def test_a_server_with_tls_gets_tls_connections(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    with EmbeddedServer(tmp_path / "db", options=(f"--ssl-cert={cert}", f"--ssl-key={key}")) as server:
        migrate(server.url)
        db = Database(server.url, size=1)
        asesor, cipher = asyncio.run(call_and_cipher(db))
        assert asesor >= 1 and db.tls is True
        assert cipher, "the session is not encrypted"


def test_a_server_without_tls_gets_plain_connections(migrated_url: DatabaseUrl) -> None:
    db = Database(migrated_url, size=1)
    _asesor, cipher = asyncio.run(call_and_cipher(db))
    assert db.tls is False and cipher == ""
