"""Bulk import of leads from CSV: ``seguimiento import leads.csv`` and the GTR upload route.

The file is parsed here (CSV syntax, encoding, one record per row) and loaded by the
database, set-based, in batches: each batch is one ``sp_importar_lote`` call, which checks
every row with the same rules as ``sp_cargar_cliente``, loads the good ones as ``nuevo`` in
one transaction and reports the rest. A batch is keyed by the SHA-256 of its rows, so
running the same import again after a crash loads nothing twice.

CSV format: UTF-8 (a BOM is fine), comma-separated, a header row naming the columns.
``nombre`` is required, ``telefono`` optional; every other column goes into the customer's
``datos`` object (empty cells left out).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gateway.db import procedures
from gateway.db.dburl import DatabaseUrl
from gateway.db.procedures import Database, DatabaseError

BATCH_SIZE = 5000  # rows per transaction: ~1 MB of JSON, well under max_allowed_packet
CONTACT_COLUMNS = ("nombre", "telefono")


@dataclass(frozen=True)
class Rejected:
    """A line that was not loaded, and why."""

    linea: int
    motivo: str


@dataclass(frozen=True)
class Batch:
    """Rows ready for one ``sp_importar_lote`` call."""

    clave: str  # SHA-256 of the rows: the batch's identity across re-runs
    filas: str  # JSON array of {"linea", "nombre", "telefono", "datos"}
    count: int
    last_line: int  # line of the file its last row came from (for progress)


@dataclass(frozen=True)
class BatchResult:
    importacion_id: int
    cargados: int
    rechazados: list[Rejected]
    ya_importado: bool


@dataclass
class ImportReport:
    cargados: int = 0
    lotes: int = 0
    lotes_ya_importados: int = 0
    rechazados: list[Rejected] = field(default_factory=list)

    def add(self, result: BatchResult) -> None:
        self.lotes += 1
        if result.ya_importado:
            self.lotes_ya_importados += 1
            return
        self.cargados += result.cargados
        self.rechazados.extend(result.rechazados)


class ImportFileError(ValueError):
    """The file cannot be imported at all (no header, no nombre column...)."""


def decode(data: bytes) -> str:
    """Text of the file; bytes that are not UTF-8 are kept as surrogates so the line that
    holds them can be reported and skipped instead of failing the whole file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _has_bad_bytes(values: Iterable[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for value in values for ch in value)


def parse_rows(text: str) -> Iterator[dict[str, object] | Rejected]:
    """Each data record of the CSV as a row dict with its line number, or a Rejected."""
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: it needs a header row with a nombre column") from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: the header is not valid CSV ({exc})") from exc
    if _has_bad_bytes(header):
        # Column names become datos keys: bytes that are not UTF-8 cannot go to the database.
        raise ImportFileError("line 1: the header is not valid UTF-8 text (save the file as UTF-8)")
    columns = [name.strip().lower() for name in header]
    if "nombre" not in columns:
        raise ImportFileError(f"the header has no nombre column (it has: {', '.join(columns)})")
    if len(set(columns)) != len(columns):
        raise ImportFileError("the header names a column twice")

    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_end = reader.line_num
            yield Rejected(start, f"broken CSV quoting: {exc}")
            continue
        previous_end = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines are not rows
        if _has_bad_bytes(record):
            yield Rejected(start, "not valid UTF-8 text (save the file as UTF-8)")
            continue
        if len(record) != len(columns):
            yield Rejected(start, f"{len(record)} fields where the header has {len(columns)}")
            continue
        values = dict(zip(columns, record, strict=True))
        datos = {k: v for k, v in values.items() if k not in CONTACT_COLUMNS and v.strip()}
        yield {
            "linea": start,
            "nombre": values["nombre"],
            "telefono": values.get("telefono") or None,
            "datos": json.dumps(datos, ensure_ascii=False) if datos else None,
        }


def batches(text: str, rejected: list[Rejected], size: int = BATCH_SIZE) -> Iterator[Batch]:
    """Cut the parsed rows into batches; lines rejected while parsing go to ``rejected``."""
    rows: list[dict[str, object]] = []
    parsed = parse_rows(text)
    for item in parsed:
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        rows.append(item)
        if len(rows) == size:
            yield _batch(rows, int(item["linea"]))  # type: ignore[call-overload]
            rows = []
    if rows:
        yield _batch(rows, int(rows[-1]["linea"]))  # type: ignore[call-overload]


def _batch(rows: list[dict[str, object]], last_line: int) -> Batch:
    filas = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return Batch(
        clave=hashlib.sha256(filas.encode()).hexdigest(),
        filas=filas,
        count=len(rows),
        last_line=last_line,
    )


async def run_import(
    data: bytes,
    load_batch: Callable[[Batch], Awaitable[BatchResult]],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Parse ``data`` and load it batch by batch with ``load_batch``.

    Parsing runs in a worker thread, a batch at a time, so a gateway serving an upload keeps
    answering others meanwhile. ``progress(lines_done, lines_total)`` follows each batch.
    """
    text = decode(data)
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    report = ImportReport()
    parse_rejects: list[Rejected] = []
    pending = batches(text, parse_rejects, batch_size)
    while (batch := await asyncio.to_thread(next, pending, None)) is not None:
        report.add(await load_batch(batch))
        if progress:
            progress(batch.last_line, total_lines)
    report.rechazados.extend(parse_rejects)
    report.rechazados.sort(key=lambda r: r.linea)
    if progress:
        progress(total_lines, total_lines)
    return report


def load_with(db: Database, origen: str, omitir_duplicados: bool) -> Callable[[Batch], Awaitable[BatchResult]]:
    """A ``load_batch`` that calls sp_importar_lote through the procedure catalogue."""

    async def load(batch: Batch) -> BatchResult:
        result = await procedures.importar_lote(db, batch.clave, origen, batch.filas, omitir_duplicados)
        return BatchResult(
            importacion_id=result.importacion_id,
            cargados=result.cargados,
            rechazados=[Rejected(r.linea, r.motivo) for r in result.rechazadas],
            ya_importado=result.ya_importado,
        )

    return load


class ProgressBar:
    """``[#######.............]  35%  35000/100000 lines`` on a terminal's stderr."""

    WIDTH = 30

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.tty or total <= 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        end = "\n" if done >= total else ""
        print(f"\r[{bar}] {100 * done // total:3d}%  {done}/{total} lines", end=end, file=self.stream, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.commands.cli import add_database_url

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
    from gateway.commands.cli import CommandError

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
    again = f", {report.lotes_ya_importados} batch(es) already loaded before" if report.lotes_ya_importados else ""
    print(f"{report.cargados} customer(s) loaded, {len(report.rechazados)} line(s) rejected{again}")
    return 1 if report.rechazados else 0


async def _import(url: DatabaseUrl, data: bytes, args: argparse.Namespace) -> ImportReport:
    db = Database(url, size=1)
    try:
        load = load_with(db, args.csv_file.name, args.skip_duplicates)
        return await run_import(data, load, batch_size=args.batch_size, progress=ProgressBar())
    finally:
        await db.close()
