"""Demo data for ``seguimiento run``: a few asesores and a few dozen customers in every state.

Everything goes through the stored procedures, as a real desk would do it, so the history
and the outbox are the real thing too. Loaded only into an empty database.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

from gateway.db import procedures
from gateway.db.pool import Database
from gateway.db.privatefiles import write_private
from gateway.web.auth import new_token, token_sha256

ASESORES = ("Ana Torres", "Bruno Díaz", "Carla Rojas", "Diego Salas")
NOMBRES = ("Lucía", "Mateo", "Valentina", "Santiago", "Camila", "Sebastián", "Isabella", "Nicolás",
           "Mariana", "Diego", "Gabriela", "Andrés", "Daniela", "Felipe", "Paula", "Tomás")
APELLIDOS = ("García", "Rodríguez", "López", "Martínez", "Pérez", "Gómez", "Sánchez", "Ramírez",
             "Flores", "Vargas", "Castillo", "Mendoza")
PRODUCTOS = ("fibra 300 Mb", "fibra 600 Mb", "móvil ilimitado", "TV + fibra", "portabilidad")
# How many customers end in each state.
PLAN = {"nuevo": 10, "derivado": 8, "en_gestion": 6, "terminado": 8, "no_gestionado": 4}


@dataclass(frozen=True)
class DemoTokens:
    gtr: str
    asesores: dict[int, tuple[str, str]]  # asesor id -> (name, token)

    def save(self, path: Path) -> None:
        """Write the tokens to a new file, 0600 from its creation (they are logins)."""
        data = {"gtr": self.gtr, "asesores": {str(k): list(v) for k, v in self.asesores.items()}}
        write_private(path, json.dumps(data, ensure_ascii=False, indent=2))

    @classmethod
    def load(cls, path: Path) -> DemoTokens | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return cls(data["gtr"], {int(k): (v[0], v[1]) for k, v in data["asesores"].items()})


async def is_empty(db: Database) -> bool:
    return not await procedures.listar_asesores(db)


async def load(db: Database, seed: int = 7) -> None:
    """Create the asesores and the customers of PLAN."""
    rng = random.Random(seed)
    asesores = [await procedures.crear_asesor(db, nombre) for nombre in ASESORES]
    turno = itertools.cycle(asesores)
    telefonos = rng.sample(range(900_000_000, 999_999_999), sum(PLAN.values()))

    async def cliente() -> int:
        nombre = f"{rng.choice(NOMBRES)} {rng.choice(APELLIDOS)}"
        datos = {"producto": rng.choice(PRODUCTOS), "origen": rng.choice(("web", "campaña", "referido"))}
        return (await procedures.cargar_cliente(db, nombre, f"+51 {telefonos.pop()}", datos)).cliente_id

    # First those that end no_gestionado: assigned, then left idle past a 1 s timeout.
    olvidados = [await cliente() for _ in range(PLAN["no_gestionado"])]
    for cliente_id in olvidados:
        await procedures.derivar_cliente(db, cliente_id, next(turno), "gtr")
    anterior = await procedures.configurar(db, "timeout_segundos", 1)
    try:
        await asyncio.sleep(1.2)
        await procedures.barrido_seguimiento(db)
    finally:
        await procedures.configurar(db, "timeout_segundos", anterior)

    for _ in range(PLAN["nuevo"]):
        await cliente()
    for _ in range(PLAN["derivado"]):
        await procedures.derivar_cliente(db, await cliente(), next(turno), "gtr")
    for estado in ("en_gestion", "terminado"):
        for _ in range(PLAN[estado]):
            cliente_id, asesor_id = await cliente(), next(turno)
            await procedures.derivar_cliente(db, cliente_id, asesor_id, "gtr")
            lock = await procedures.tomar_cliente(db, cliente_id, asesor_id)
            await procedures.abrir_wizard(db, cliente_id, asesor_id, lock.lock_token)
            await procedures.actualizar_cliente(db, cliente_id, asesor_id, lock.lock_token,
                                                {"interes": rng.choice(("alto", "medio", "bajo"))})
            if estado == "terminado":
                await procedures.completar_wizard(db, cliente_id, asesor_id, lock.lock_token)


async def create_tokens(db: Database) -> DemoTokens:
    """One GTR token and one per asesor."""
    gtr = new_token()
    # No expiry (0): the demo's links are kept in var/db/demo-tokens.json between runs.
    await procedures.crear_token(db, token_sha256(gtr), "gtr", None, "demo GTR desk", 0)
    asesores: dict[int, tuple[str, str]] = {}
    for asesor in await procedures.listar_asesores(db):
        token = new_token()
        await procedures.crear_token(db, token_sha256(token), "asesor", asesor.asesor_id, "demo asesor", 0)
        asesores[asesor.asesor_id] = (asesor.nombre, token)
    return DemoTokens(gtr, asesores)
