"""``seguimiento import leads.csv``: loads a CSV file of leads through
:mod:`gateway.db.importing` (the format and the rules are described there), with a progress
bar on a terminal's stderr, one line per rejected row and a summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from gateway.commands.base import CommandError, add_database_url
from gateway.db.dburl import DatabaseUrl
from gateway.db.exceptions import DatabaseError
from gateway.db.importing import BATCH_SIZE, ImportFileError, ImportResult, load_with, run_import
from gateway.db.pool import Database


class ProgressBar:
    """The import's progress in lines, drawn by tqdm on stderr when stderr is a terminal, and
    nothing at all otherwise (a pipe, a log, cron): ``35%|███▌      | 35000/100000 lines``.
    Use it as a context manager, so a failed import still ends the bar's line."""

    FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} lines [{elapsed}<{remaining}, {rate_fmt}]"

    def __init__(self, stream: TextIO | None = None) -> None:
        # sys.stderr when made, not when this module was imported: a test's capture (or a
        # caller) may have replaced it since.
        self._stream = stream or sys.stderr
        self._bar: Any = None  # made at the first call, when the total is known

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, unit=" lines", bar_format=self.FORMAT, file=self._stream,
                             disable=None, dynamic_ncols=True)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_url(parser)
    parser.add_argument("csv_file", type=Path, metavar="FILE.csv",
                        help="UTF-8 CSV with a header row: nombre (required), telefono, any other columns")
    parser.add_argument("--skip-duplicates", action="store_true",
                        help="reject rows whose telefono an existing customer (or an earlier row) has")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, choices=range(1, 10001), metavar="N",
                        help=f"rows per transaction, 1-10000 (default {BATCH_SIZE})")


class FileChanged(OSError):
    """The file changed while it was being read (still being written?): nothing was loaded."""


def read_whole_file(path: Path) -> bytes:
    """Every byte of ``path``, or FileChanged when it grew, shrank or was rewritten while
    being read: a file still being written would otherwise load only its first part."""
    with path.open("rb") as stream:
        before = os.fstat(stream.fileno())
        data = stream.read()
        after = os.fstat(stream.fileno())
    if stat.S_ISREG(before.st_mode) and (
            len(data) != after.st_size
            or (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)):
        raise FileChanged(f"{path} changed while it was being read (is it still being written?); "
                          "nothing was loaded: run the import again once the file is complete")
    return data


def main(args: argparse.Namespace) -> int:
    """``seguimiento import``: exit 0 when every row loaded, 1 when some were rejected."""
    url = DatabaseUrl.from_args_or_env(args.database_url)
    try:
        data = read_whole_file(args.csv_file)
    except OSError as exc:
        raise CommandError(f"cannot read {args.csv_file}: {exc.strerror or exc}") from exc
    if data and not data.endswith((b"\n", b"\r")):
        # Many tools end a CSV without a line ending, but a copy or an export that was cut
        # short does too: load it, and say so, so a cut last row does not go unnoticed.
        last = data.count(b"\n") + 1
        print(f"{args.csv_file}:{last}: warning: the last line has no line ending; if the file was cut "
              "short, its last row may be incomplete", file=sys.stderr)
    try:
        report = asyncio.run(_import(url, data, args))
    except (ImportFileError, DatabaseError) as exc:
        raise CommandError(str(exc)) from exc
    for rejected in report.rechazados:
        print(f"{args.csv_file}:{rejected.linea}: {rejected.motivo}")
    again = f", {report.lotesYaImportados} batch(es) already loaded before" if report.lotesYaImportados else ""
    print(f"{report.cargados} customer(s) loaded, {len(report.rechazados)} line(s) rejected{again}")
    return 1 if report.rechazados else 0


async def _import(url: DatabaseUrl, data: bytes, args: argparse.Namespace) -> ImportResult:
    db = Database(url, size=1)
    try:
        load = load_with(db, args.csv_file.name, args.skip_duplicates)
        with ProgressBar() as progress:
            return await run_import(data, load, batch_size=args.batch_size, progress=progress)
    finally:
        await db.close()
