"""The columnar copy of a frame: read only while it is current, never outliving an erasure.

Each test compares a load through the copy with a load that decodes every answer
(``keep=False``): the two frames must be identical, values, types, order and notes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text, update
from sqlmodel import Session, col, select

from analysis import snapshots
from analysis.answers import merge_notes
from analysis.frame import Frame, load_responses
from analysis.models import FrameSnapshot
from analysis.synthetic import load_synthetic
from microcasa.db import Database, utcnow
from survey import fieldwork
from survey.models import Questionnaire, Response, ResponseStatus
from survey.versions import get_questionnaire, versions_of

FORM_ID = "microcasa_hei"


def _load(database: Database, keep: bool = True) -> Frame:
    with database.session() as session:
        return load_responses(session, FORM_ID, keep=keep)


def _same(kept: Frame, full: Frame) -> None:
    pd.testing.assert_frame_equal(kept.data, full.data, check_exact=True)
    assert kept.notes == full.notes
    assert kept.source == full.source
    assert kept.variables == full.variables


def _copies(database: Database) -> list[tuple[int, int]]:
    with database.session() as session:
        rows = session.exec(select(FrameSnapshot.rows, FrameSnapshot.id_sum)).all()
        return [(int(r), int(s)) for r, s in rows]


def _ids(database: Database) -> list[int]:
    with database.session() as session:
        statement = select(Response.id).where(col(Response.status) == ResponseStatus.COMPLETE.value)
        return sorted(i for i in session.exec(statement) if i is not None)


def _change(database: Database, response_id: int, touch: bool, **answers: Any) -> None:
    """Change a stored response's answers; ``touch`` also marks it changed (updated_at)."""
    with database.transaction() as session:
        response = session.get(Response, response_id)
        assert response is not None
        response.answers = {**response.answers, **answers}
        if touch:
            response.updated_at = utcnow()
        session.add(response)


@pytest.fixture
def fielded(database: Database) -> Database:
    with database.transaction() as session:
        load_synthetic(session, 60)
    return database


def test_a_load_keeps_a_copy_and_the_next_load_reads_it(fielded: Database) -> None:
    first = _load(fielded)
    ids = _ids(fielded)
    assert _copies(fielded) == [(len(ids), sum(ids))]
    # An answer changed behind the platform's back (updated_at untouched) shows only in a
    # full decode: the copy is what the second load read.
    before = first.data.loc[ids[0], "b1"]
    _change(fielded, ids[0], touch=False, b1="1" if before != "1" else "2")
    _same(_load(fielded), first)
    assert _load(fielded, keep=False).data.loc[ids[0], "b1"] != before


def test_responses_completed_since_are_added_in_the_order_of_their_ids(
    fielded: Database,
) -> None:
    ids = _ids(fielded)
    with fielded.transaction() as session:  # one that is still partial when the copy is made
        session.execute(
            update(Response)
            .where(col(Response.id) == ids[3])
            .values(status=ResponseStatus.PARTIAL.value)
        )
    _load(fielded)
    assert _copies(fielded)[0][0] == len(ids) - 1
    with fielded.transaction() as session:
        load_synthetic(session, 3, seed=7)  # three more, with higher ids
        session.execute(
            update(Response)
            .where(col(Response.id) == ids[3])
            .values(status=ResponseStatus.COMPLETE.value, updated_at=utcnow())
        )
    kept, full = _load(fielded), _load(fielded, keep=False)
    _same(kept, full)
    assert kept.data.index.is_monotonic_increasing and ids[3] in kept.data.index
    assert len(kept.data) == len(ids) + 3
    # Four responses since the copy: fewer than snapshots.RENEW_AFTER, so it stays as it was.
    assert _copies(fielded)[0][0] == len(ids) - 1


def test_many_responses_since_renew_the_copy(fielded: Database) -> None:
    _load(fielded)
    with fielded.transaction() as session:
        load_synthetic(session, snapshots.RENEW_AFTER, seed=11)
    _same(_load(fielded), _load(fielded, keep=False))
    ids = _ids(fielded)
    assert _copies(fielded) == [(len(ids), sum(ids))]


def test_an_edited_response_means_a_full_load_and_a_new_copy(fielded: Database) -> None:
    _load(fielded)
    ids = _ids(fielded)
    _change(fielded, ids[5], touch=True, b1="dk")
    kept = _load(fielded)
    _same(kept, _load(fielded, keep=False))
    assert kept.data.loc[ids[5], "b1"] == "dk"
    with fielded.session() as session:
        as_of = session.exec(select(FrameSnapshot.as_of)).one()
        newest = session.exec(select(Response.updated_at).where(Response.id == ids[5])).one()
    assert as_of == newest


def test_erasure_deletes_the_copy_in_its_own_transaction(fielded: Database) -> None:
    _load(fielded)
    ids = _ids(fielded)
    with fielded.transaction() as session:
        response = session.get(Response, ids[0])
        assert response is not None
        fieldwork.erase(session, response, actor="admin", actor_id=None, reason="request")
        assert session.exec(select(FrameSnapshot)).all() == []
    assert _copies(fielded) == []
    kept = _load(fielded)
    _same(kept, _load(fielded, keep=False))
    assert ids[0] not in kept.data.index
    assert _copies(fielded) == [(len(ids) - 1, sum(ids) - ids[0])]


def test_a_late_commit_with_an_older_time_is_not_missed(fielded: Database) -> None:
    first = _load(fielded)
    # A response whose transaction began before the copy was made and committed after it:
    # changed "before" the copy's as_of, so not among the responses changed since, and
    # not in the copy either.
    with fielded.transaction() as session:
        load_synthetic(session, 1, seed=5)
        newest = max(_ids_in(session))
        session.execute(
            update(Response)
            .where(col(Response.id) == newest)
            .values(updated_at=first.data["completed_at"].min() - timedelta(days=1))
        )
    kept = _load(fielded)
    _same(kept, _load(fielded, keep=False))
    assert newest in kept.data.index


def _ids_in(session: Session) -> list[int]:
    return [i for i in session.exec(select(Response.id)) if i is not None]


def test_a_copy_made_by_other_rules_is_not_read(fielded: Database) -> None:
    _load(fielded)
    ids = _ids(fielded)
    with fielded.transaction() as session:
        session.execute(update(FrameSnapshot).values(code="0" * 64))
    _change(fielded, ids[0], touch=False, b1="dk")
    assert _load(fielded).data.loc[ids[0], "b1"] == "dk"  # decoded, not read from the copy


def test_the_rules_code_names_the_versions_answered(database: Database) -> None:
    with database.transaction() as session:
        load_synthetic(session, 30)
    _load(database)
    with database.session() as session:
        used = versions_of(session, get_questionnaire(session, FORM_ID))
    assert snapshots.rules_code(used[:1]) != snapshots.rules_code([*used[:1], *used[:1]])


def test_a_copy_is_not_stored_when_what_it_covers_has_changed(fielded: Database) -> None:
    frame = _load(fielded, keep=False)
    with fielded.transaction() as session:
        session.execute(text("DELETE FROM frame_snapshot"))
    ids = _ids(fielded)
    blob = snapshots.encode(frame.data, _extra(len(ids)), frame.notes)
    assert blob is not None
    with fielded.session() as session:
        questionnaire = get_questionnaire(session, FORM_ID)
        assert questionnaire.id is not None
        used = versions_of(session, questionnaire)
        as_of = session.exec(
            select(Response.updated_at).order_by(col(Response.updated_at).desc())
        ).first()
        stale = snapshots.Coverage(len(ids) + 1, sum(ids), as_of)
        assert not snapshots.store(session, questionnaire.id, used, blob, stale)
        assert _copies(fielded) == []
        current = snapshots.Coverage(len(ids), sum(ids), as_of)
        assert snapshots.store(session, questionnaire.id, used, blob, current)
    assert _copies(fielded) == [(len(ids), sum(ids))]


def _extra(rows: int) -> dict[str, Any]:
    return {
        "institution_id": pd.array([None] * rows, dtype="Int64"),
        "type_answer": np.array([None] * rows, dtype=object),
    }


def test_a_busy_database_gets_no_copy_and_still_a_frame(
    fielded: Database, database_url: str
) -> None:
    other = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with other.connect() as connection:
        if other.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # holds the write lock
        else:
            connection.exec_driver_sql("BEGIN")
            connection.execute(select(Questionnaire.id).with_for_update())
        try:
            kept = _load(fielded)
        finally:
            connection.exec_driver_sql("ROLLBACK")
    other.dispose()
    _same(kept, _load(fielded, keep=False))
    assert _copies(fielded) == []


def test_the_blob_keeps_every_column_type_exactly() -> None:
    missing = pd.NaT
    data = pd.DataFrame(
        {
            "likert": pd.Categorical(["1", None, "5"], categories=["1", "5"], ordered=True),
            "choice": pd.Categorical(["a", "b", None]),
            "picked": pd.array([1, None, 0], dtype="Int8"),
            "count": pd.array([3, None, 2**40], dtype="Int64"),
            "share": [0.5, np.nan, -1.25],
            "flag": [True, False, True],
            "text": pd.array(["é", None, "=1+1"], dtype="str"),
            "when": pd.to_datetime(["2026-11-28T10:00:00Z", None, "2026-01-01T00:00:00Z"]),
            "day": pd.to_datetime(["2026-11-28", "2026-02-01", missing]),
        },
        index=pd.Index([3, 9, 11], dtype="int64", name="response"),
    )
    extra = {"type_answer": np.array(["public", None, "private"], dtype=object)}
    blob = snapshots.encode(data, extra, ["note one"])
    assert blob is not None
    table, kept, notes = snapshots.decode(blob)
    pd.testing.assert_frame_equal(table, data, check_exact=True)
    assert kept["type_answer"].tolist() == ["public", None, "private"]
    assert notes == ("note one",)
    with pytest.raises(ValueError, match="not a frame snapshot"):
        snapshots.decode(b"something else")
    odd = pd.DataFrame({"mapping": [{"a": 1}, None, {}]}, index=data.index)
    assert snapshots.encode(odd, {}, []) is None  # a column it cannot keep: no copy at all


def test_notes_of_the_copy_and_of_the_responses_since_add_up(fielded: Database) -> None:
    ids = _ids(fielded)
    _change(fielded, ids[1], touch=False, c3="many")  # a number question
    _load(fielded)
    _change(fielded, ids[2], touch=True, c3="lots")
    kept, full = _load(fielded), _load(fielded, keep=False)
    _same(kept, full)
    assert any(note.startswith("2 answers to c3 left empty") for note in kept.notes)


def test_merge_notes_adds_counts_per_question_and_reason() -> None:
    first = ["1 answer to c3 left empty: the value is not a number (integer).", "Other."]
    second = [
        "2 answers to c3 left empty: the value is not a number (integer).",
        "1 pick to b4 left empty: the value is not one of its choices (select_multiple).",
        "Other.",
    ]
    assert merge_notes(first, second) == [
        "3 answers to c3 left empty: the value is not a number (integer).",
        "Other.",
        "1 pick to b4 left empty: the value is not one of its choices (select_multiple).",
    ]
