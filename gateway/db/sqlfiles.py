"""Reads the procedure, view and event files under ``sql/``, and says where that is.

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

# Where the SQL lives, decided here only. The source of truth is the top-level sql/ of the
# checkout, which a checkout or an editable install reads in place. A wheel (and so a Docker
# image) carries a copy of it as gateway/sql, made by the build step in setup.py, because a
# non-editable install has no checkout beside it. The copy exists only in built packages,
# never in the source tree (setup.py writes it into the build directory), so a checkout can
# never read a stale copy instead of the files being edited.
PACKAGED_SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
CHECKOUT_SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"
SQL_DIR = PACKAGED_SQL_DIR if PACKAGED_SQL_DIR.is_dir() else CHECKOUT_SQL_DIR

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


class SqlFilesMissingError(FileNotFoundError):
    """The SQL files are not where this installation of seguimiento expects them."""


def check_sql_dir(sql_dir: Path = SQL_DIR) -> Path:
    """``sql_dir``, or a clear error when it lacks a folder the migration needs.

    Without this, a broken install (a wheel built without its SQL) would "migrate" nothing:
    a missing folder globs to no files.
    """
    missing = [folder for folder in ("migrations", *(f for f, _ in KINDS)) if not (sql_dir / folder).is_dir()]
    if missing:
        raise SqlFilesMissingError(
            f"no {', '.join(missing)} folder(s) under {sql_dir}: this seguimiento was installed without "
            "its SQL files. Install it from a wheel or sdist built by `pip wheel .` or `python -m build` "
            "(they carry sql/ as gateway/sql), or with `pip install -e .` from a checkout."
        )
    return sql_dir


def load_objects(sql_dir: Path = SQL_DIR) -> list[SqlObject]:
    """Every procedure, view and event file, in install order."""
    check_sql_dir(sql_dir)
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
