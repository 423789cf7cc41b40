"""``seguimiento grants``: least-privilege database accounts for one seguimiento database.

Three accounts, each with only what its users need:

- **owner** (``<prefix>_owner``): cannot log in (``ACCOUNT LOCK``). It is the ``DEFINER`` of
  every procedure, view and event, and the only account with rights on the tables, so the
  procedures and views run with its rights whoever calls them.
- **app** (``<prefix>_app``): the gateway's login. It may only ``EXECUTE`` the procedures the
  gateway calls (:data:`APP_PROCEDURES`); it cannot read or write a table directly.
- **reporting** (``<prefix>_reporting``): may only ``SELECT`` the reporting views and the
  history (:data:`REPORTING_OBJECTS`); it cannot call anything nor see the token table.

The owner's password is random and never shown. The accounts are recorded in
``cuentas_bd``; ``seguimiento migrate`` then installs objects under the owner and grants
again after re-installing (a dropped procedure loses its grants).
``seguimiento grants --print`` shows the SQL without running it, for a DBA to read or run;
``sql/grants.sql`` is that output for the default names.

A server with anonymous accounts (``''@'localhost'``, as ``mariadb-install-db`` makes them
unless told ``--skip-test-db``) is refused before anything changes: for a login from a
host they match, the server picks the anonymous account before ``'<prefix>_app'@'%'`` (the
more specific host wins), so the app's login fails with 1045 whatever its password. They
also let anyone in without a password, so the fix is to drop them, not to add
``@'localhost'`` twins of every account; the message says what to run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from gateway.db.connection import connect
from gateway.db.dburl import DatabaseUrl

# The procedures the gateway calls. Token administration (sp_crear_token, sp_revocar_token)
# and the purge are left to DBAs and the events; the sweep is the event's, and the
# gateway's when the primary's event does not run (gateway/web/sweeper.py: after a failover).
APP_PROCEDURES = (
    "sp_listar_asesores",
    # Loads go into a campaign (issue 13); with no campaign given, 'general', as sp_cargar_cliente
    # and sp_importar_lote do, which the gateway therefore no longer calls.
    "sp_cargar_cliente_en_campana", "sp_importar_lote_en_campana", "sp_derivar_cliente",
    "sp_tomar_cliente", "sp_heartbeat_cliente", "sp_abrir_wizard", "sp_actualizar_cliente",
    "sp_completar_wizard", "sp_liberar_cliente",
    "sp_listar_clientes", "sp_obtener_cliente", "sp_historial_cliente",
    "sp_outbox_leer", "sp_outbox_limites", "sp_validar_token", "sp_estado_servidor",
    "sp_barrido_seguimiento",
    # Routing (issue 13): campaigns, skills, capacity, presence, the pull and the hand-back;
    # sp_reportar_conectados from every gateway (gateway/web/presence.py); sp_distribuir when
    # the primary's event does not run, as the sweep (gateway/web/sweeper.py). A PATCH of a
    # campaign is one sp_configurar_campana_varios call (all its fields in one transaction):
    # sp_configurar_campana, one setting, stays with DBAs.
    "sp_crear_campana", "sp_configurar_campana_varios", "sp_listar_campanas",
    "sp_asignar_habilidad", "sp_quitar_habilidad", "sp_fijar_capacidad", "sp_panel_asesores",
    "sp_cambiar_presencia", "sp_listar_motivos_pausa", "sp_reportar_conectados",
    "sp_siguiente_cliente", "sp_devolver_cliente", "sp_distribuir",
    # The supervisor's desk (issue 14): an asesor's history in one call, administration with audit.
    "sp_historial_cliente_de_asesor", "sp_gtr_crear_asesor", "sp_gtr_desactivar_asesor", "sp_gtr_activar_asesor",
    "sp_gtr_configurar", "sp_gtr_emitir_token_asesor", "sp_auditoria_admin",
    # The desk's reports and wallboard (issue 14).
    "sp_reporte_asesores", "sp_reporte_por_hora", "sp_reporte_velocidad", "sp_reporte_campanas", "sp_tablero",
    # The desk's pause reasons (issue 14): listed with those out of use, changed with audit.
    "sp_listar_motivos_pausa_todos", "sp_gtr_configurar_motivo_pausa",
    # The GTR board filtered by campaign, read by the server (issue 13).
    "sp_listar_clientes_de_campana",
)
REPORTING_OBJECTS = ("v_clientes", "v_clientes_activos", "v_asesor_diario", "v_replicacion", "clientes_historial",
                     "v_campana_diaria", "v_presencia_asesor")
# What the procedures, views and events do, so what their definer needs.
OWNER_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE, EXECUTE, CREATE TEMPORARY TABLES, EVENT"
ROLES = ("owner", "app", "reporting")


class GrantsError(RuntimeError):
    """The accounts cannot be created on this server as it is."""


@dataclass(frozen=True)
class Account:
    user: str
    host: str = "%"

    def sql(self) -> str:
        return f"'{self.user}'@'{self.host}'"

    def definer(self) -> str:
        """As information_schema writes a DEFINER."""
        return f"{self.user}@{self.host}"


def accounts_for(prefix: str, host: str = "%") -> dict[str, Account]:
    return {role: Account(f"{prefix}_{role}", host) for role in ROLES}


def privilege_statements(database: str, accounts: dict[str, Account]) -> list[str]:
    """Every GRANT. Idempotent: migrate runs them again after it re-installs anything,
    because dropping a procedure drops the grants on it."""
    db = f"`{database}`"
    statements = [f"GRANT {OWNER_PRIVILEGES} ON {db}.* TO {accounts['owner'].sql()}"]
    statements += [f"GRANT EXECUTE ON PROCEDURE {db}.`{name}` TO {accounts['app'].sql()}" for name in APP_PROCEDURES]
    statements += [f"GRANT SELECT ON {db}.`{name}` TO {accounts['reporting'].sql()}" for name in REPORTING_OBJECTS]
    return statements


def render_script(database: str, accounts: dict[str, Account]) -> str:
    """The whole grant as SQL a DBA can read and run (passwords as placeholders)."""
    lines = [
        f"-- Least-privilege accounts for the seguimiento database `{database}`.",
        "-- Generated by `seguimiento grants --print`; `seguimiento grants` runs the same statements.",
        "-- Run it as an administrator on a database `seguimiento migrate` has created, then run",
        "-- `seguimiento migrate` again: it re-creates every procedure, view and event with the owner",
        "-- as DEFINER (creating objects for another definer needs SET_ANY_DEFINER on MySQL 8.4,",
        "-- SUPER on MariaDB) and repeats the GRANTs on the new objects.",
        "",
    ]
    placeholders = {"owner": "<random; nobody logs in as the owner>", "app": "<app password>",
                    "reporting": "<reporting password>"}
    for role in ROLES:
        lock = " ACCOUNT LOCK" if role == "owner" else ""
        lines.append(f"CREATE USER IF NOT EXISTS {accounts[role].sql()} IDENTIFIED BY '{placeholders[role]}'{lock};")
    lines.append(f"ALTER USER {accounts['owner'].sql()} ACCOUNT LOCK;")
    lines.append("")
    lines += [f"{s};" for s in privilege_statements(database, accounts)]
    lines.append("")
    lines.append("-- Recorded so `seguimiento migrate` knows the owner and re-grants after re-installing.")
    lines += [f"REPLACE INTO `{database}`.cuentas_bd (rol, usuario, host) VALUES "
              f"('{role}', '{accounts[role].user}', '{accounts[role].host}');" for role in ROLES]
    return "\n".join(lines) + "\n"


def anonymous_accounts(url: DatabaseUrl) -> list[Account]:
    """The server's accounts with an empty user name."""
    conn = connect(url, database=False)
    try:
        cur = conn.cursor()
        cur.execute("SELECT Host FROM mysql.user WHERE User = '' ORDER BY Host")
        return [Account("", str(host)) for (host,) in cur.fetchall()]  # type: ignore[misc]
    finally:
        conn.close()


def refuse_anonymous_accounts(url: DatabaseUrl, accounts: dict[str, Account]) -> None:
    """Raise :class:`GrantsError`, saying what to run, when anonymous accounts would shadow ours."""
    found = anonymous_accounts(url)
    if not found:
        return
    drops = "\n".join(f"    DROP USER {account.sql()};" for account in found)
    raise GrantsError(
        f"this server has anonymous accounts ({', '.join(a.sql() for a in found)}). A login from a host "
        f"they match picks them before {accounts['app'].sql()} and fails with 1045 Access denied, and they "
        f"let anyone log in without a password. Nothing was changed. Remove them as an administrator "
        f"(mariadb-secure-installation does the same), then run seguimiento grants again:\n{drops}")


def apply(url: DatabaseUrl, accounts: dict[str, Account], passwords: dict[str, str]) -> dict[str, str]:
    """Create the accounts (or set the passwords given) and record them in cuentas_bd.

    A new account without a given password gets a random one, returned so it can be shown
    once. The caller then runs migrate, which installs objects under the owner and grants.
    Refused (:class:`GrantsError`), changing nothing, on a server with anonymous accounts.
    """
    refuse_anonymous_accounts(url, accounts)
    generated: dict[str, str] = {}
    conn = connect(url)
    try:
        cur = conn.cursor()
        for role in ROLES:
            account = accounts[role]
            cur.execute("SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", (account.user, account.host))
            (exists,) = cur.fetchone()  # type: ignore[misc]
            password = passwords.get(role)
            if not exists:
                if password is None:
                    password = generated[role] = secrets.token_urlsafe(24)
                lock = " ACCOUNT LOCK" if role == "owner" else ""
                cur.execute(f"CREATE USER {account.sql()} IDENTIFIED BY %s{lock}", (password,))
            elif password is not None:
                cur.execute(f"ALTER USER {account.sql()} IDENTIFIED BY %s", (password,))
            cur.execute("REPLACE INTO cuentas_bd (rol, usuario, host) VALUES (%s, %s, %s)",
                        (role, account.user, account.host))
        cur.execute(f"ALTER USER {accounts['owner'].sql()} ACCOUNT LOCK")
    finally:
        conn.close()
    generated.pop("owner", None)  # nobody logs in as the owner: its password is never shown
    return generated


def recorded_accounts(conn: object) -> dict[str, Account]:
    """The accounts ``seguimiento grants`` recorded for the connection's database, if any."""
    cur = conn.cursor()  # type: ignore[attr-defined]
    cur.execute("SELECT rol, usuario, host FROM cuentas_bd")
    return {str(rol): Account(str(user), str(host)) for rol, user, host in cur.fetchall()}
