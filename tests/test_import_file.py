"""``seguimiento import FILE`` loads the whole file or says why not: a file that changes while
it is read (still being written) loads nothing, and a last line without a line ending (a
copy cut short looks like that) is loaded with a warning naming it, never silently."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from gateway.commands.cli import main
from tests.gateway.harness import url_text
from tests.support import Db


def clientes(db: Db) -> int:
    return int(db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"])


def test_a_file_still_being_written_loads_nothing(db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "leads.csv"
    row = b"Cliente,999111222,%s\n" % (b"n" * 200)
    path.write_bytes(b"nombre,telefono,nota\n" + row * 200_000)  # ~43 MB: reading it takes a while
    done = threading.Event()

    def keep_writing() -> None:
        with path.open("ab") as out:
            while not done.is_set():
                out.write(row)
                out.flush()
                time.sleep(0.0005)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        status = main(["import", "--database-url", url_text(db.url), str(path)])
    finally:
        done.set()
        writer.join()
    assert status == 2
    assert "changed while it was being read" in capsys.readouterr().err
    assert clientes(db) == 0


def test_a_last_line_without_a_line_ending_is_loaded_and_named(db: Db, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"nombre,telefono\nAna,999111222\nBeto,9991112")
    assert main(["import", "--database-url", url_text(db.url), str(path)]) == 0
    out = capsys.readouterr()
    assert f"{path}:3: warning: the last line has no line ending" in out.err
    assert "2 customer(s) loaded" in out.out
    assert clientes(db) == 2
    # A complete file says nothing of the kind.
    path.write_bytes(b"nombre,telefono\nCarla,999111223\n")
    assert main(["import", "--database-url", url_text(db.url), str(path)]) == 0
    assert "warning" not in capsys.readouterr().err
