"""Reads the procedure, view and event files under ``sql/``.

Each file holds one object and is written for the ``mysql``/``mariadb`` client: a
``DROP ... IF EXISTS`` then the ``CREATE`` between ``DELIMITER //`` lines, so a DBA can run
``mysql db < sql/procedures/sp_x.sql``. ``DELIMITER`` is a command of that client, not SQL,
so this module does what the client does: it splits a file into statements on the current
delimiter and drops the ``DELIMITER`` lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# Folder under sql/ -> the object kind, in install order (events call procedures).
KINDS = (("procedures", "PROCEDURE"), ("views", "VIEW"), ("events", "EVENT"))

_DELIMITER_LINE = re.compile(r"^\s*DELIMITER\s+(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SqlObject:
    name: str
    kind: str  # PROCEDURE, VIEW or EVENT
    path: Path
    statements: tuple[str, ...]
    sha256: str


def split_statements(text: str) -> list[str]:
    """Split client-style SQL into statements, honouring ``DELIMITER`` lines.

    A statement ends where a line ends with the current delimiter. Comment-only lines
    between statements are dropped.
    """
    delimiter = ";"
    statements: list[str] = []
    buffer: list[str] = []
    for line in text.splitlines():
        match = _DELIMITER_LINE.match(line)
        if match:
            delimiter = match.group(1)
            continue
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        stripped = line.rstrip()
        if stripped.endswith(delimiter):
            buffer.append(stripped[: -len(delimiter)])
            statement = "\n".join(buffer).strip()
            if statement:
                statements.append(statement)
            buffer = []
        else:
            buffer.append(line)
    if "\n".join(buffer).strip():
        raise ValueError(f"SQL text ends without the delimiter {delimiter!r}")
    return statements


def load_objects(sql_dir: Path = SQL_DIR) -> list[SqlObject]:
    """Every procedure, view and event file, in install order."""
    objects = []
    for folder, kind in KINDS:
        for path in sorted((sql_dir / folder).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            objects.append(
                SqlObject(
                    name=path.stem,
                    kind=kind,
                    path=path,
                    statements=tuple(split_statements(text)),
                    sha256=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
    return objects
