"""Bulk import of leads from CSV, for ``seguimiento import`` and the GTR upload route alike.

The file is parsed here (CSV syntax, encoding, one record per row) and loaded by the
database, set-based, in batches: each batch is one ``sp_importar_lote`` call, which checks
every row with the same rules as ``sp_cargar_cliente``, loads the good ones as ``nuevo`` in
one transaction and reports the rest. A batch is keyed by the SHA-256 of its rows, so
running the same import again after a crash loads nothing twice.

CSV format: UTF-8 (a BOM is fine), comma-separated, a header row naming the columns.
``nombre`` is required, ``telefono`` optional; every other column goes into the customer's
``datos`` object (empty cells left out).

A rejected line is one type from end to end, :class:`~gateway.db.rows.LineaRechazada`,
whether the parser or the procedure rejected it; a whole import's answer is
:class:`ImportResult`, which the command prints and the route answers as JSON.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from gateway.db import procedures
from gateway.db.pool import Database
from gateway.db.rows import LineaRechazada, LoteImportado

BATCH_SIZE = 5000  # rows per transaction: ~1 MB of JSON, well under max_allowed_packet
CONTACT_COLUMNS = ("nombre", "telefono")


@dataclass(frozen=True)
class Batch:
    """Rows ready for one ``sp_importar_lote`` call."""

    clave: str  # SHA-256 of the rows: the batch's identity across re-runs
    filas: str  # JSON array of {"linea", "nombre", "telefono", "datos"}
    count: int
    last_line: int  # line of the file its last row came from (for progress)


class ImportResult(BaseModel):
    """What an import loaded and what it did not, line by line (POST /api/importaciones's
    body). ``lotes``: batches sent; ``lotesYaImportados``: of those, how many had been
    loaded before (a re-run), which loaded nothing again."""

    model_config = ConfigDict(frozen=True)

    cargados: int
    rechazados: list[LineaRechazada]
    lotes: int
    lotesYaImportados: int


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


def parse_rows(text: str) -> Iterator[dict[str, object] | LineaRechazada]:
    """Each data record of the CSV as a row dict with its line number, or the line rejected."""
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
            yield LineaRechazada(linea=start, motivo=f"broken CSV quoting: {exc}")
            continue
        previous_end = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines are not rows
        if _has_bad_bytes(record):
            yield LineaRechazada(linea=start, motivo="not valid UTF-8 text (save the file as UTF-8)")
            continue
        if len(record) != len(columns):
            yield LineaRechazada(linea=start, motivo=f"{len(record)} fields where the header has {len(columns)}")
            continue
        values = dict(zip(columns, record, strict=True))
        datos = {k: v for k, v in values.items() if k not in CONTACT_COLUMNS and v.strip()}
        yield {
            "linea": start,
            "nombre": values["nombre"],
            "telefono": values.get("telefono") or None,
            "datos": json.dumps(datos, ensure_ascii=False) if datos else None,
        }


def batches(text: str, rejected: list[LineaRechazada], size: int = BATCH_SIZE) -> Iterator[Batch]:
    """Cut the parsed rows into batches; lines rejected while parsing go to ``rejected``."""
    rows: list[dict[str, object]] = []
    parsed = parse_rows(text)
    for item in parsed:
        if isinstance(item, LineaRechazada):
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
    load_batch: Callable[[Batch], Awaitable[LoteImportado]],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Parse ``data`` and load it batch by batch with ``load_batch``.

    Parsing runs in a worker thread, a batch at a time, so a gateway serving an upload keeps
    answering others meanwhile. ``progress(lines_done, lines_total)`` follows each batch.
    """
    text = decode(data)
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    cargados = lotes = ya_importados = 0
    rechazados: list[LineaRechazada] = []
    pending = batches(text, rechazados, batch_size)
    while (batch := await asyncio.to_thread(next, pending, None)) is not None:
        lote = await load_batch(batch)
        lotes += 1
        if lote.ya_importado:
            # Loaded by an earlier run: its counts and rejections were reported then.
            ya_importados += 1
        else:
            cargados += lote.cargados
            rechazados.extend(lote.rechazados)
        if progress:
            progress(batch.last_line, total_lines)
    if progress:
        progress(total_lines, total_lines)
    return ImportResult(cargados=cargados, rechazados=sorted(rechazados, key=lambda r: r.linea),
                        lotes=lotes, lotesYaImportados=ya_importados)


def load_with(db: Database, origen: str, omitir_duplicados: bool, campana_id: int | None = None,
              prioridad: int | None = None) -> Callable[[Batch], Awaitable[LoteImportado]]:
    """A ``load_batch`` that calls sp_importar_lote_en_campana through the procedure catalogue
    (campaign None: general; priority None: 0)."""

    async def load(batch: Batch) -> LoteImportado:
        return await procedures.importar_lote(db, batch.clave, origen, batch.filas, omitir_duplicados,
                                              campana_id, prioridad)

    return load
