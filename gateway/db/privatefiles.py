"""Files and folders only their owner may read: passwords and tokens kept on disk.

A file is created with mode 0600 by ``os.open`` itself, never written first and narrowed
afterwards: between a write and a ``chmod`` any local user could open it, and an open file
stays readable after the ``chmod``. ``O_EXCL`` and ``O_NOFOLLOW`` refuse a file or symlink
someone else planted at the path.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (created, or narrowed if an older run made it wider)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 from the start and write ``text``; it must not exist yet."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def read_or_create_secret(path: Path) -> str:
    """The random secret kept in ``path``, made (0600) on first use."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(24)
    try:
        write_private(path, value + "\n")
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    return value
