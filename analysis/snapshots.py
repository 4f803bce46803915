"""A columnar copy of a questionnaire's frame in the database, so that loading is quick.

Answers are stored as one JSON document per response; decoding and coding five
million of them (100,000 responses × 50 questions) is most of the cost of a
report. After a full load, :mod:`analysis.frame` stores the frame's columns as
one blob in ``frame_snapshot`` with what it covers: how many complete responses,
the sum of their ids and the newest change among them (``as_of``). The next load
reads the blob, checks that the complete responses changed no later than
``as_of`` are exactly those it covers, and decodes only the ones changed since
(the tail). Anything else — a response erased or edited, a late commit, another
version answered, other coding rules — means a full load, which stores a new copy.

The copy holds answers, so it must never outlive them: :func:`forget` deletes it
in the transaction that erases a respondent, and :func:`store` re-checks what it
covers against the database, under the questionnaire's row lock, before it writes.
A copy that cannot be written (a busy or read-only database) is simply not kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from analysis.models import FrameSnapshot
from microcasa.db import WRITE_OPTION, utcnow
from survey.models import FormVersion, Questionnaire, Response, ResponseStatus

log = logging.getLogger(__name__)

MAGIC = b"MCFS1\n"
# The rules that turn answers into columns: a copy made by other rules is never read.
_RULES = ("answers.py", "frame.py", "variables.py", "snapshots.py")
RENEW_AFTER = 100  # responses changed since a copy before it is renewed
_WRITE_WAIT_MS = 250  # a writer busy for longer: the copy is not kept this time
_BLOB_SQL = "SELECT data FROM frame_snapshot WHERE id = %s"


@dataclass(frozen=True)
class Coverage:
    """The complete responses a copy was made from."""

    rows: int
    id_sum: int
    as_of: datetime | None  # the newest updated_at among them


@dataclass(frozen=True)
class Snapshot:
    """A stored copy: the frame's table and the columns needed beside it."""

    data: pd.DataFrame
    extra: Mapping[str, np.ndarray]  # institution ids and the raw type answers
    notes: tuple[str, ...]
    coverage: Coverage

    def worth_renewing(self, rows: int) -> bool:
        """Whether a frame of ``rows`` responses read through this copy should replace it.

        Responses changed since the copy are decoded at every load; once they are more
        than a twentieth of it (and at least 100), a new copy is cheaper than decoding them.
        """
        tail = rows - self.coverage.rows
        return tail >= max(RENEW_AFTER, self.coverage.rows // 20)


def rules_code(versions: Sequence[FormVersion]) -> str:
    """What the copy depends on: the versions answered, the coding rules, pandas and numpy."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _RULES:
        digest.update((here / name).read_bytes())
    digest.update(f"{pd.__version__} {np.__version__}".encode())
    for version in versions:
        digest.update(f"{version.id}:{version.sha256};".encode())
    return digest.hexdigest()


# --- the blob ------------------------------------------------------------------------


class _Column(msgspec.Struct, frozen=True):
    name: str
    kind: str  # categorical, masked, numpy, datetime, text
    dtype: str
    parts: tuple[tuple[int, int], ...]  # (offset, length) of each array in the payload
    categories: tuple[Any, ...] = ()
    ordered: bool = False
    tz: str | None = None


class _Header(msgspec.Struct, frozen=True):
    rows: int
    columns: tuple[_Column, ...]
    extra: tuple[_Column, ...]
    notes: tuple[str, ...]


class _Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def put(self, data: bytes) -> tuple[int, int]:
        padding = -self.size % 8  # every array starts on an 8-byte boundary
        if padding:
            self.parts.append(b"\0" * padding)
            self.size += padding
        at = self.size
        self.parts.append(data)
        self.size += len(data)
        return (at, len(data))


def _encode_column(name: str, values: Any, out: _Writer) -> _Column | None:
    """A column as arrays in the payload, or None for a type the copy does not keep."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = tuple(dtype.categories.tolist())
        if not all(isinstance(c, str | int) for c in categories):
            return None
        codes = np.asarray(pd.Categorical(values).codes)
        return _Column(
            name,
            "categorical",
            f"{codes.dtype.str} {dtype.categories.dtype}",
            (out.put(codes.tobytes()),),
            categories,
            bool(dtype.ordered),
        )
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        array = pd.array(values)
        tz = str(array.tz) if array.tz is not None else None
        return _Column(name, "datetime", array.unit, (out.put(array.asi8.tobytes()),), tz=tz)
    if isinstance(dtype, pd.StringDtype):
        texts = pd.Series(values).to_numpy(dtype=object, na_value=None).tolist()
        return _Column(name, "text", str(dtype), (out.put(msgspec.json.encode(texts)),))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
        array = pd.array(values)
        data = np.asarray(array.to_numpy(dtype=dtype.numpy_dtype, na_value=0))
        mask = np.asarray(array.isna(), dtype=bool)
        return _Column(
            name, "masked", str(dtype), (out.put(data.tobytes()), out.put(mask.tobytes()))
        )
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        array = np.ascontiguousarray(values)
        return _Column(name, "numpy", array.dtype.str, (out.put(array.tobytes()),))
    if isinstance(dtype, np.dtype) and dtype.kind == "O":  # raw answers kept beside the frame
        texts = [None if v is None else v for v in values]
        if not all(v is None or isinstance(v, str) for v in texts):
            return None
        return _Column(name, "objects", "object", (out.put(msgspec.json.encode(texts)),))
    return None


def _decode_column(column: _Column, payload: memoryview, rows: int) -> Any:
    def part(at: int) -> memoryview:
        offset, length = column.parts[at]
        return payload[offset : offset + length]

    if column.kind == "categorical":
        code_type, category_type = column.dtype.split(" ", 1)
        codes = np.frombuffer(part(0), dtype=np.dtype(code_type), count=rows).copy()
        categories = pd.Index(list(column.categories), dtype=category_type)
        return pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(categories, ordered=column.ordered)
        )
    if column.kind == "datetime":
        ticks = np.frombuffer(part(0), dtype=np.int64, count=rows).copy()
        naive = pd.array(ticks.view(f"M8[{column.dtype}]"))
        return naive.tz_localize("UTC").tz_convert(column.tz) if column.tz else naive
    if column.kind == "text":
        return pd.array(msgspec.json.decode(part(0)), dtype=column.dtype)
    if column.kind == "masked":
        dtype: Any = pd.api.types.pandas_dtype(column.dtype)
        data = np.frombuffer(part(0), dtype=dtype.numpy_dtype, count=rows).copy()
        mask = np.frombuffer(part(1), dtype=bool, count=rows).copy()
        return dtype.construct_array_type()(data, mask)
    if column.kind == "objects":
        return np.array(msgspec.json.decode(part(0)), dtype=object)
    return np.frombuffer(part(0), dtype=np.dtype(column.dtype), count=rows).copy()


def encode(data: pd.DataFrame, extra: Mapping[str, Any], notes: Sequence[str]) -> bytes | None:
    """The blob of a frame's table (index: response ids), or None if a column cannot be kept."""
    out = _Writer()
    columns = [_encode_column("", np.asarray(data.index, dtype=np.int64), out)]
    for name in data.columns:
        columns.append(_encode_column(str(name), data[name], out))
    extras = [_encode_column(name, values, out) for name, values in extra.items()]
    if any(c is None for c in (*columns, *extras)):
        return None
    header = msgspec.json.encode(
        _Header(
            len(data), tuple(c for c in columns if c), tuple(c for c in extras if c), tuple(notes)
        )
    )
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *out.parts])


def decode(blob: bytes) -> tuple[pd.DataFrame, dict[str, Any], tuple[str, ...]]:
    """The frame's table, the extra columns and the notes of a blob made by :func:`encode`."""
    if not blob.startswith(MAGIC):
        raise ValueError("not a frame snapshot")
    start = len(MAGIC) + 8
    size = int.from_bytes(blob[len(MAGIC) : start], "little")
    header = msgspec.json.decode(blob[start : start + size], type=_Header)
    payload = memoryview(blob)[start + size :]
    index, *columns = header.columns
    table = pd.DataFrame(
        {c.name: _decode_column(c, payload, header.rows) for c in columns},
        index=pd.Index(_decode_column(index, payload, header.rows), name="response"),
    )
    extra = {c.name: _decode_column(c, payload, header.rows) for c in header.extra}
    return table, extra, header.notes


# --- the database ------------------------------------------------------------------


def _covered(versions: Sequence[int], as_of: datetime | None) -> Any:
    """count and sum of ids of the complete responses changed no later than ``as_of``."""
    statement = select(func.count(), func.coalesce(func.sum(col(Response.id)), 0)).where(
        col(Response.form_version_id).in_(list(versions)),
        col(Response.status) == ResponseStatus.COMPLETE.value,
    )
    if as_of is not None:
        statement = statement.where(col(Response.updated_at) <= as_of)
    return statement


def read(
    session: Session, questionnaire_id: int, versions: Sequence[FormVersion]
) -> Snapshot | None:
    """The stored copy, if it was made by these rules and what it covers is unchanged."""
    connection = session.connection()
    stored = connection.execute(
        select(
            col(FrameSnapshot.id),
            col(FrameSnapshot.rows),
            col(FrameSnapshot.id_sum),
            col(FrameSnapshot.as_of),
        ).where(
            col(FrameSnapshot.questionnaire_id) == questionnaire_id,
            col(FrameSnapshot.code) == rules_code(versions),
        )
    ).first()
    if stored is None:
        return None
    coverage = Coverage(int(stored[1]), int(stored[2]), stored[3])
    found = connection.execute(_covered([v.id for v in versions if v.id], coverage.as_of)).one()
    if (int(found[0]), int(found[1])) != (coverage.rows, coverage.id_sum):
        return None
    try:
        data, extra, notes = decode(_blob(connection, stored[0]))
    except (ValueError, msgspec.DecodeError, KeyError, TypeError) as exc:
        log.warning("frame snapshot of questionnaire %s unreadable: %s", questionnaire_id, exc)
        return None
    return Snapshot(data, extra, notes, coverage)


def _blob(connection: Connection, snapshot_id: int | None) -> bytes:
    """The stored blob; from PostgreSQL in binary format (hex text would take 3 × as long)."""
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with driver.cursor(binary=True) as cursor:
            cursor.execute(_BLOB_SQL, (snapshot_id,))
            row = cursor.fetchone()
    else:
        row = connection.execute(
            select(col(FrameSnapshot.data)).where(col(FrameSnapshot.id) == snapshot_id)
        ).first()
    if row is None:
        raise ValueError("frame snapshot gone while it was read")
    return bytes(row[0])


def store(
    session: Session,
    questionnaire_id: int,
    versions: Sequence[FormVersion],
    blob: bytes,
    coverage: Coverage,
) -> bool:
    """Keep a copy, in a transaction of its own, if it still covers what it says.

    Returns whether it was kept: never when the responses changed since they were
    read (an erasure, say), the database is busy for long or cannot be written.
    """
    engine = session.get_bind().engine
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).connect() as connection:
            driver: Any = connection.connection.driver_connection
            waits: Any = driver.execute("PRAGMA busy_timeout").fetchone()[0] if sqlite else None
            if sqlite:  # wait briefly for the write lock, not the platform's busy timeout
                driver.execute(f"PRAGMA busy_timeout={_WRITE_WAIT_MS}")
            try:
                with connection.begin():
                    _store(connection, questionnaire_id, versions, blob, coverage, sqlite)
                return True
            finally:
                if sqlite:
                    driver.execute(f"PRAGMA busy_timeout={int(waits)}")
    except _NotCurrent:
        return False
    except DBAPIError as exc:
        log.info("frame snapshot of questionnaire %s not kept: %s", questionnaire_id, exc.orig)
        return False


class _NotCurrent(Exception):
    pass


def _store(
    connection: Connection,
    questionnaire_id: int,
    versions: Sequence[FormVersion],
    blob: bytes,
    coverage: Coverage,
    sqlite: bool,
) -> None:
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
    # Taken by erasure too: a copy is either checked and written before an erasure, or
    # checked after it (and then no longer matches).
    lock = select(col(Questionnaire.id)).where(col(Questionnaire.id) == questionnaire_id)
    connection.execute(lock.with_for_update())
    ids = [v.id for v in versions if v.id]
    found = connection.execute(_covered(ids, coverage.as_of)).one()
    if (int(found[0]), int(found[1])) != (coverage.rows, coverage.id_sum):
        raise _NotCurrent
    connection.execute(
        delete(FrameSnapshot).where(col(FrameSnapshot.questionnaire_id) == questionnaire_id)
    )
    connection.execute(
        FrameSnapshot.__table__.insert().values(  # type: ignore[attr-defined]
            questionnaire_id=questionnaire_id,
            code=rules_code(versions),
            rows=coverage.rows,
            id_sum=coverage.id_sum,
            as_of=coverage.as_of,
            built_at=utcnow(),
            data=blob,
        )
    )


def forget(session: Session, questionnaire_id: int) -> None:
    """Delete a questionnaire's copy in the caller's transaction (erasure calls this)."""
    lock = select(col(Questionnaire.id)).where(col(Questionnaire.id) == questionnaire_id)
    session.execute(lock.with_for_update())
    session.execute(
        delete(FrameSnapshot).where(col(FrameSnapshot.questionnaire_id) == questionnaire_id)
    )
