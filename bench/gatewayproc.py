"""The gateway under test: ``seguimiento serve`` in its own process (``toolkit.gateways``),
and tokens for it.

The gateway runs as a separate process (as in production), so its CPU time and memory
are its own and the load generator never shares its event loop. Tokens are made the way
``seguimiento token create`` makes them (``gateway.web.auth.new_token`` + ``sp_crear_token``);
the GTR token goes through the CLI itself once, to exercise it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import ROOT
from gateway.db.dburl import DatabaseUrl
from gateway.web.auth import new_token, token_sha256
from toolkit.db import call
from toolkit.gateways import SERVE, GatewayProcess

# bench/gateway_app.py: ``seguimiento serve`` plus the benchmarks' ``POST /bench/wake``.
SERVE_WITH_WAKE = (sys.executable, "-m", "bench.gateway_app")


def cli_token(url: DatabaseUrl, *args: str) -> str:
    """``seguimiento token create ...`` (as ``python -m gateway``, this checkout's): the token
    it prints on its last line."""
    out = subprocess.run([sys.executable, "-m", "gateway", "token", "create", "--database-url", url.secret_url(),
                          *args], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return out.strip().splitlines()[-1].strip()


def asesor_token(conn: Any, asesor_id: int) -> str:
    """A live token for ``asesor_id``, recorded through sp_crear_token on ``conn``."""
    token = new_token()
    call(conn, "sp_crear_token", token_sha256(token), "asesor", asesor_id, "bench")
    return token


@contextmanager
def running_gateway(url: DatabaseUrl, *, wake_route: bool = False, **settings: Any) -> Iterator[GatewayProcess]:
    """``seguimiento serve`` on ``url`` and a free port, with ``SEGUIMIENTO_<KEY>`` settings;
    stopped with SIGTERM afterwards (killed if it does not stop within 20 s). ``wake_route``:
    the same command run by bench/gateway_app.py, with its bench-only ``POST /bench/wake``."""
    env = dict(os.environ)
    env.update({f"SEGUIMIENTO_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    gateway = GatewayProcess(url, env=env, command=SERVE_WITH_WAKE if wake_route else SERVE, cwd=str(ROOT),
                             new_session=True)
    gateway.start(timeout=60)
    try:
        yield gateway
    finally:
        gateway.stop(20)
