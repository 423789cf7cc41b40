"""The README documents the public surface: every public procedure (``sp_*``), every view and
every event has its place there. A procedure added without a line in the README fails here,
naming it. (Internal procedures start with ``_`` and are documented in their own headers.)"""

from __future__ import annotations

import re
from pathlib import Path

from gateway.db.sqlfiles import load_objects

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_public_object_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    public = {o.name for o in load_objects() if not o.name.startswith("_")}
    assert {"sp_cargar_cliente", "v_clientes", "ev_barrido_seguimiento"} <= public
    missing = sorted(name for name in public if not re.search(rf"`{re.escape(name)}\b", text))
    assert not missing, f"public SQL objects with no mention in README.md (add them to its tables): {missing}"
