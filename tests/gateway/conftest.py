"""Fixtures of the gateway tests: two asesores and a token for each role; the gateway logs in
as the session's app account (harness.app_account)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.gateway.harness import app_account, make_token  # noqa: F401  (app_account: the gateway's login)
from tests.support import Db


@dataclass(frozen=True)
class People:
    ana: int
    beto: int
    gtr: str
    ana_token: str
    beto_token: str


@pytest.fixture
def people(db: Db) -> People:
    """Asesores Ana and Beto, a GTR token and one asesor token each."""
    ana, beto = db.asesor("Ana"), db.asesor("Beto")
    return People(ana=ana, beto=beto, gtr=make_token(db, "gtr"), ana_token=make_token(db, "asesor", ana),
                  beto_token=make_token(db, "asesor", beto))
