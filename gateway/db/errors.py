"""The error catalogue: every refusal the stored procedures can signal.

Procedures refuse with ``SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = <code>``. This module is
the one place those codes are named, described and given an HTTP status; the README's
error table and the gateway's error mapping are both read from here, and a test checks
that every code the SQL signals is listed. Callers branch on ``code``, never on messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ErrorCode(IntEnum):
    """``MYSQL_ERRNO`` values signalled by the procedures (SQLSTATE 45000)."""

    CLIENTE_NOT_FOUND = 45001
    ASESOR_NOT_FOUND = 45002
    INVALID_TRANSITION = 45003
    NOT_ASSIGNED = 45004
    LOCK_HELD = 45005
    LOCK_INVALID = 45006
    INVALID_INPUT = 45007
    INACTIVITY_EXPIRED = 45008
    ASESOR_STATE_UNCHANGED = 45009
    CAMPANA_NOT_FOUND = 45010
    CAMPANA_EXISTS = 45011
    PAUSE_REASON_INVALID = 45012
    ASESOR_NOT_AVAILABLE = 45013
    CAPACITY_FULL = 45014
    NOT_PERMITTED = 45015


@dataclass(frozen=True)
class CatalogueEntry:
    code: ErrorCode
    slug: str  # stable machine name, used as "code" in the gateway's error bodies
    http_status: int
    meaning: str


CATALOGUE: dict[ErrorCode, CatalogueEntry] = {
    e.code: e
    for e in (
        CatalogueEntry(ErrorCode.CLIENTE_NOT_FOUND, "cliente_not_found", 404,
                       "No customer has that id."),
        CatalogueEntry(ErrorCode.ASESOR_NOT_FOUND, "asesor_not_found", 404,
                       "No active asesor has that id."),
        CatalogueEntry(ErrorCode.INVALID_TRANSITION, "invalid_transition", 409,
                       "The customer's state does not allow that move "
                       "(e.g. completing before opening, assigning a terminado customer)."),
        CatalogueEntry(ErrorCode.NOT_ASSIGNED, "not_assigned", 403,
                       "The customer is not assigned to that asesor."),
        CatalogueEntry(ErrorCode.LOCK_HELD, "lock_held", 409,
                       "Another asesor holds a live edit lock on the customer (only after a hand "
                       "edit of the table: reassignment drops locks)."),
        CatalogueEntry(ErrorCode.LOCK_INVALID, "lock_invalid", 409,
                       "The lock token is missing or is not the customer's live lock: "
                       "take the customer again."),
        CatalogueEntry(ErrorCode.INVALID_INPUT, "invalid_input", 422,
                       "An argument is missing or malformed (empty name, bad phone, "
                       "JSON that is not an object, unknown actor...)."),
        CatalogueEntry(ErrorCode.INACTIVITY_EXPIRED, "inactivity_expired", 409,
                       "The customer was idle longer than timeout_segundos; the sweep "
                       "returns it to GTR as no_gestionado."),
        CatalogueEntry(ErrorCode.ASESOR_STATE_UNCHANGED, "asesor_state_unchanged", 409,
                       "The asesor is already in that state: inactive (deactivating), active "
                       "(activating), that presence, or that capacity."),
        CatalogueEntry(ErrorCode.CAMPANA_NOT_FOUND, "campana_not_found", 404,
                       "No campaign has that id."),
        CatalogueEntry(ErrorCode.CAMPANA_EXISTS, "campana_exists", 409,
                       "Another campaign already has that name."),
        CatalogueEntry(ErrorCode.PAUSE_REASON_INVALID, "pause_reason_invalid", 422,
                       "The pause reason is not an active one of the list, or one was given "
                       "with a presence other than en_pausa."),
        CatalogueEntry(ErrorCode.ASESOR_NOT_AVAILABLE, "asesor_not_available", 409,
                       "The asesor is not disponible (paused or disconnected), so it cannot pull work."),
        CatalogueEntry(ErrorCode.CAPACITY_FULL, "capacity_full", 409,
                       "The asesor already holds as many customers as its capacity allows."),
        CatalogueEntry(ErrorCode.NOT_PERMITTED, "not_permitted", 403,
                       "The acting token is not a live GTR token, or the setting is a DBA's "
                       "(desk administration, sp_gtr_*)."),
    )
}
