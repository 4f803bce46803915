"""The matrix service on SQLite and PostgreSQL: the bundled data, edits with their history,
who may edit what, the matrix as of a date, and history that the database keeps append-only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

import policy_matrix
from microcasa.auth.roles import Role
from microcasa.auth.service import Identity
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.catalogue import bundled_entries, bundled_jurisdictions, catalogue
from policy_matrix.errors import (
    EntryInvalid,
    MatrixConflict,
    MatrixError,
    MatrixForbidden,
    MatrixNotFound,
    MatrixProblem,
)
from policy_matrix.history import changes_between
from policy_matrix.models import PolicyChange, PolicyEntry, PolicyJurisdiction
from policy_matrix.service import Actor, Edit
from policy_matrix.values import Cell, check_cell
from tests.conftest import add_user

TODAY = date(2026, 11, 28)
ORDER = ("MY", "ID", "PH", "DE", "IT", "ES", "EU", "ASEAN")
ENTERED = tuple(d.id for d in catalogue().dimensions if not d.computed)
BUNDLED_CELLS = len(ORDER) * len(ENTERED)  # 8 × 24
RESEARCHER = Actor(None, "rita.researcher@uni.example", Role.RESEARCHER)
COORDINATOR_MY = Actor(None, "coordinator.my@uni.example", Role.COORDINATOR, "MY")
ORGANISER = Actor(None, "olga.organiser@uni.example", Role.ORGANISER)
ADMIN = Actor(None, "admin@uni.example", Role.ADMIN)


def person(database: Database, email: str, role: str, country: str | None = None) -> Actor:
    """An Actor for a real account, as the pages and the API build it."""
    return Actor.of(Identity.of(add_user(database, email, role=role, country=country), "session"))


def bundled(code: str, dimension_id: str) -> dict[str, Any]:
    (entry,) = [e for e in bundled_entries(code) if e["dimension"] == dimension_id]
    return entry


def edited(code: str, dimension_id: str, **value: object) -> dict[str, Any]:
    """The bundled entry with some fields of its value changed."""
    entry = bundled(code, dimension_id)
    return {**entry, "value": {**(entry["value"] or {}), **value}}


def checked(dimension_id: str, fields: dict[str, Any]) -> Cell:
    """What check_cell makes of ``fields``."""
    return check_cell(catalogue().dimension(dimension_id), fields, TODAY)


@pytest.fixture
def loaded(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def history(database: Database) -> list[PolicyChange]:
    with database.session() as session:
        return list(session.exec(select(PolicyChange).order_by(col(PolicyChange.id))))


def entry(database: Database, code: str, dimension_id: str) -> PolicyEntry | None:
    with database.session() as session:
        return session.exec(
            select(PolicyEntry).where(
                PolicyEntry.jurisdiction == code, PolicyEntry.dimension == dimension_id
            )
        ).first()


def current(database: Database) -> service.Matrix:
    with database.session() as session:
        return service.matrix(session)


def utc_today() -> date:
    return datetime.now(UTC).date()


# The bundled data


def test_load_bundled_writes_every_entered_cell_once(database: Database) -> None:
    with database.transaction() as session:
        first = service.load_bundled(session)
    assert first == service.Loaded(jurisdictions=8, cells=BUNDLED_CELLS)
    rows = history(database)
    assert len(rows) == BUNDLED_CELLS
    assert {(r.source, r.actor, r.actor_id, r.old) for r in rows} == {
        ("bundled", service.BUNDLED_ACTOR, None, None)
    }
    assert len({r.change_set for r in rows}) == 1
    assert "PM25" not in {r.dimension for r in rows}

    with database.transaction() as session:
        second = service.load_bundled(session)
    assert second == service.Loaded(jurisdictions=0, cells=0)
    assert len(history(database)) == BUNDLED_CELLS
    with database.session() as session:
        revisions = session.exec(select(PolicyEntry.revision)).all()
    assert sorted(set(revisions)) == [1]
    assert len(revisions) == BUNDLED_CELLS


def test_load_bundled_leaves_edited_cells_alone(loaded: Database) -> None:
    with loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=9), "r")
        assert service.load_bundled(session) == service.Loaded(0, 0)
    assert current(loaded).cell("MY", "PM05").value == {
        **bundled("MY", "PM05")["value"],
        "levels": 9,
    }


def test_the_matrix_has_countries_first_then_references_and_the_bundled_cells(
    loaded: Database,
) -> None:
    found = current(loaded)
    assert tuple(j.code for j in found.jurisdictions) == ORDER
    assert tuple(j.code for j in found.countries) == ORDER[:6]
    assert found.as_of is None
    assert len(found.cells) == BUNDLED_CELLS
    for code in ORDER:
        for fields in bundled_entries(code):
            dimension_id = fields["dimension"]
            expected = Cell() if dimension_id == "PM25" else checked(dimension_id, fields)
            assert found.cell(code, dimension_id) == expected, f"{code}/{dimension_id}"
    assert found.cell("MY", "PM05").value == {
        "nqf_name": bundled("MY", "PM05")["value"]["nqf_name"],
        "levels": 8,
    }
    assert found.jurisdiction("EU").is_reference
    with pytest.raises(MatrixNotFound):
        found.jurisdiction("FR")


# Editing a cell


def test_a_researcher_edits_a_cell_with_its_history(loaded: Database) -> None:
    researcher = person(loaded, "rita@uni.example", "researcher")
    before = current(loaded).cell("MY", "PM05")
    fields = edited("MY", "PM05", levels=10)
    with loaded.transaction() as session:
        change = service.update_cell(
            session, researcher, "MY", "PM05", fields, "  MQF 2024 has 10 levels  ", source="api"
        )
    assert change is not None
    after = checked("PM05", fields)
    assert (change.jurisdiction, change.dimension, change.actor, change.reason, change.source) == (
        "MY",
        "PM05",
        "rita@uni.example",
        "MQF 2024 has 10 levels",
        "api",
    )
    assert change.old == before
    assert change.new == after
    assert change.changed_fields() == ("value",)

    stored = entry(loaded, "MY", "PM05")
    assert stored is not None
    assert (stored.revision, stored.updated_by, stored.value) == (
        2,
        "rita@uni.example",
        after.snapshot()["value"],
    )
    rows = history(loaded)
    assert len(rows) == BUNDLED_CELLS + 1
    row = rows[-1]
    assert row.id == change.id
    assert (row.actor_id, row.actor, row.reason, row.source) == (
        researcher.id,
        "rita@uni.example",
        "MQF 2024 has 10 levels",
        "api",
    )
    assert row.old == before.snapshot()
    assert row.new == after.snapshot()
    assert current(loaded).cell("MY", "PM05") == after

    with loaded.session() as session:
        view = service.cell_view(session, "my", "pm05")
    assert view.revision == 2
    assert view.cell == after
    assert [c.reason for c in view.history] == [
        "MQF 2024 has 10 levels",
        "Bundled research data (catalogue 2026.1)",
    ]


def test_unchanged_content_writes_nothing(loaded: Database) -> None:
    same = {**bundled("MY", "PM05"), "notes": "  " + bundled("MY", "PM05")["notes"] + "  "}
    with loaded.transaction() as session:
        assert service.update_cell(session, RESEARCHER, "MY", "PM05", same, "again") is None
    assert len(history(loaded)) == BUNDLED_CELLS
    stored = entry(loaded, "MY", "PM05")
    assert stored is not None
    assert stored.revision == 1
    assert stored.updated_by == service.BUNDLED_ACTOR


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_change_needs_a_reason(loaded: Database, reason: str | None) -> None:
    with pytest.raises(EntryInvalid) as caught, loaded.transaction() as session:
        service.update_cell(
            session,
            RESEARCHER,
            "MY",
            "PM05",
            edited("MY", "PM05", levels=10),
            reason,  # type: ignore[arg-type]
        )
    assert caught.value.errors == {
        "reason": ["Say why you make this change (the reason is kept in the history)."]
    }
    assert len(history(loaded)) == BUNDLED_CELLS
    assert current(loaded).cell("MY", "PM05").value == bundled("MY", "PM05")["value"]


def test_a_reason_is_at_most_1000_characters(loaded: Database) -> None:
    fields = edited("MY", "PM05", levels=10)
    with pytest.raises(EntryInvalid) as caught, loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM05", fields, "r" * 1001)
    assert list(caught.value.errors) == ["reason"]


def test_an_invalid_cell_is_refused_with_its_places(loaded: Database) -> None:
    fields = {**edited("MY", "PM09", max=10), "evidence": []}
    with pytest.raises(EntryInvalid) as caught, loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM09", fields, "max from the FAQ")
    assert caught.value.errors == {
        "value.max": ["The minimum (40) is larger than the maximum (10)."],
        "evidence": [MatrixError.EVIDENCE_NEEDED.value],
    }
    assert len(history(loaded)) == BUNDLED_CELLS


# Who may edit what


def test_a_coordinator_edits_their_own_country(loaded: Database) -> None:
    coordinator = person(loaded, "coordinator.my@uni.example", "coordinator", "MY")
    with loaded.transaction() as session:
        change = service.update_cell(
            session, coordinator, "MY", "PM05", edited("MY", "PM05", levels=10), "MQF 2024"
        )
    assert change is not None
    assert history(loaded)[-1].actor_id == coordinator.id
    assert current(loaded).cell("MY", "PM05").value["levels"] == 10  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("DE", "Country coordinators edit their own country (MY) only, not DE."),
        ("ID", "Country coordinators edit their own country (MY) only, not ID."),
        ("EU", "Only researchers edit the reference row EU."),
        ("ASEAN", "Only researchers edit the reference row ASEAN."),
    ],
)
def test_a_coordinator_edits_no_other_country_and_no_reference_row(
    loaded: Database, code: str, message: str
) -> None:
    fields = edited(code, "PM05", nqf_name="Changed by the coordinator of Malaysia")
    with pytest.raises(MatrixForbidden) as caught, loaded.transaction() as session:
        service.update_cell(session, COORDINATOR_MY, code, "PM05", fields, "fix")
    assert caught.value.message == message
    assert len(history(loaded)) == BUNDLED_CELLS
    assert current(loaded).cell(code, "PM05") == checked("PM05", bundled(code, "PM05"))


@pytest.mark.parametrize("code", ["MY", "EU"])
def test_an_organiser_edits_nothing(loaded: Database, code: str) -> None:
    organiser = Actor(None, "olga@uni.example", Role.ORGANISER, "MY")
    fields = edited(code, "PM05", levels=10)
    with pytest.raises(MatrixForbidden), loaded.transaction() as session:
        service.update_cell(session, organiser, code, "PM05", fields, "fix")
    assert len(history(loaded)) == BUNDLED_CELLS


@pytest.mark.parametrize(
    ("actor", "editable"),
    [
        (ADMIN, set(ORDER)),
        (RESEARCHER, set(ORDER)),
        (COORDINATOR_MY, {"MY"}),
        (Actor(None, "c.de@uni.example", Role.COORDINATOR, "DE"), {"DE"}),
        (ORGANISER, set()),
    ],
    ids=["admin", "researcher", "coordinator-MY", "coordinator-DE", "organiser"],
)
def test_who_may_edit_which_jurisdiction(actor: Actor, editable: set[str]) -> None:
    allowed = {j.code for j in bundled_jurisdictions() if service.may_edit(actor, j)}
    assert allowed == editable


def test_unknown_jurisdictions_and_dimensions_are_not_found(loaded: Database) -> None:
    with pytest.raises(MatrixNotFound) as jurisdiction, loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "FR", "PM05", {}, "add France")
    assert jurisdiction.value.message == "There is no jurisdiction “FR” in the matrix."
    with pytest.raises(MatrixNotFound) as dimension, loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM26", {}, "a new dimension")
    assert dimension.value.message == ("There is no dimension “PM26”; the catalogue has PM01–PM25.")
    assert len(history(loaded)) == BUNDLED_CELLS


def test_codes_are_found_whatever_their_case(loaded: Database) -> None:
    with loaded.transaction() as session:
        change = service.update_cell(
            session, RESEARCHER, "my", "pm05", edited("MY", "PM05", levels=10), "case"
        )
    assert change is not None
    assert (change.jurisdiction, change.dimension) == ("MY", "PM05")


def test_the_computed_dimension_is_not_edited(loaded: Database) -> None:
    with pytest.raises(MatrixProblem) as caught, loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM25", {"status": "unknown"}, "set it")
    assert type(caught.value) is MatrixProblem
    assert caught.value.error is MatrixError.COMPUTED
    assert caught.value.message == (
        "PM25 is computed by the platform from other dimensions; it is not edited."
    )
    assert entry(loaded, "MY", "PM25") is None


# Revisions


def test_an_edit_on_an_older_copy_is_refused(loaded: Database) -> None:
    with loaded.transaction() as session:
        service.update_cell(
            session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=9), "a", revision=1
        )
    with pytest.raises(MatrixConflict) as caught, loaded.transaction() as session:
        service.update_cell(
            session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=10), "b", revision=1
        )
    assert caught.value.error is MatrixError.STALE
    assert caught.value.message.startswith("MY/PM05 was changed by someone else after you opened")
    stored = entry(loaded, "MY", "PM05")
    assert stored is not None
    assert (stored.revision, stored.value["levels"]) == (2, 9)  # type: ignore[index]
    assert [r.reason for r in history(loaded)[BUNDLED_CELLS:]] == ["a"]


def test_a_new_cell_has_revision_zero(loaded: Database) -> None:
    with loaded.transaction() as session:
        service.add_jurisdiction(session, RESEARCHER, "TH", region="ASEAN")
    with pytest.raises(MatrixConflict), loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "TH", "PM05", {"notes": "x"}, "a", revision=1)
    with loaded.transaction() as session:
        change = service.update_cell(
            session, RESEARCHER, "TH", "PM05", {"notes": "TQF"}, "first", revision=0
        )
    assert change is not None
    assert change.old is None
    stored = entry(loaded, "TH", "PM05")
    assert stored is not None
    assert stored.revision == 1


def test_an_edit_racing_another_is_refused_as_stale(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another editor saves between the revision check and the write."""
    if loaded.settings.is_sqlite:
        pytest.skip("SQLite write transactions take the write lock at BEGIN: no race")
    check_edits = service.check_edits
    raced: list[bool] = []

    def check_then_race(
        session: Session, actor: Actor, edits: Any, today: date | None = None
    ) -> Any:
        result = check_edits(session, actor, edits, today)
        if not raced:
            raced.append(True)
            with loaded.transaction() as other:
                service.update_cell(
                    other,
                    RESEARCHER,
                    "MY",
                    "PM05",
                    edited("MY", "PM05", levels=9),
                    "theirs",
                    revision=1,
                )
        return result

    monkeypatch.setattr(service, "check_edits", check_then_race)
    with pytest.raises(MatrixConflict), loaded.transaction() as session:
        service.update_cell(
            session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=10), "mine", revision=1
        )
    stored = entry(loaded, "MY", "PM05")
    assert stored is not None
    assert (stored.revision, stored.value["levels"]) == (2, 9)  # type: ignore[index]


# Several cells at once


def test_several_edits_are_one_change_set(loaded: Database) -> None:
    edits = [
        Edit("MY", "PM05", edited("MY", "PM05", levels=10), revision=1),
        Edit("MY", "PM09", edited("MY", "PM09", max=400)),
        Edit("DE", "PM24", {"notes": "Sources being collected."}),
        Edit("ID", "PM05", bundled("ID", "PM05")),  # unchanged: no history
    ]
    with loaded.transaction() as session:
        written = service.apply_changes(session, RESEARCHER, edits, "Workshop review", "import")
    assert [(c.jurisdiction, c.dimension) for c in written] == [
        ("MY", "PM05"),
        ("MY", "PM09"),
        ("DE", "PM24"),
    ]
    rows = history(loaded)[BUNDLED_CELLS:]
    assert [r.id for r in rows] == [c.id for c in written]
    assert len({r.change_set for r in rows} | {c.change_set for c in written}) == 1
    assert rows[0].change_set != history(loaded)[0].change_set
    assert {(r.reason, r.source) for r in rows} == {("Workshop review", "import")}
    matrix = current(loaded)
    assert matrix.cell("MY", "PM09").value == {"min": 40, "max": 400, "unit": "hours"}
    assert matrix.cell("DE", "PM24").notes == "Sources being collected."


def test_one_invalid_edit_stops_them_all(loaded: Database) -> None:
    edits = [
        Edit("MY", "PM05", edited("MY", "PM05", levels=10)),
        Edit("MY", "PM09", edited("MY", "PM09", max=10)),
        Edit("DE", "PM24", {"value": {"target_groups": "students pupils"}}),
    ]
    with loaded.transaction() as session:
        with pytest.raises(EntryInvalid) as caught:
            service.apply_changes(session, RESEARCHER, edits, "Workshop review", "import")
        assert session.exec(select(func.count()).select_from(PolicyChange)).one() == (BUNDLED_CELLS)
    assert caught.value.errors == {
        "MY/PM09 value.max": ["The minimum (40) is larger than the maximum (10)."],
        "DE/PM24 value.target_groups": [
            "Give a list of choices from: students, adults_25_64, unemployed, employees, "
            "teachers (each once)."
        ],
    }
    assert len(history(loaded)) == BUNDLED_CELLS
    assert current(loaded).cell("MY", "PM05").value == bundled("MY", "PM05")["value"]


def test_one_forbidden_edit_stops_them_all(loaded: Database) -> None:
    edits = [
        Edit("MY", "PM05", edited("MY", "PM05", levels=10)),
        Edit("DE", "PM05", edited("DE", "PM05", levels=9)),
    ]
    with pytest.raises(MatrixForbidden), loaded.transaction() as session:
        service.apply_changes(session, COORDINATOR_MY, edits, "review", "import")
    assert len(history(loaded)) == BUNDLED_CELLS
    assert current(loaded).cell("MY", "PM05").value == bundled("MY", "PM05")["value"]


# The matrix as of a date


def test_the_matrix_before_the_first_change_is_empty(loaded: Database) -> None:
    with loaded.session() as session:
        before = service.matrix(session, utc_today() - timedelta(days=1))
    assert before.jurisdictions == ()
    assert dict(before.cells) == {}
    assert before.cell("MY", "PM05") == Cell()


def test_the_matrix_as_of_today_is_the_current_matrix(loaded: Database) -> None:
    with loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=10), "r")
    now = current(loaded)
    with loaded.session() as session:
        today = service.matrix(session, utc_today())
    assert today.as_of == utc_today()
    assert today.jurisdictions == now.jurisdictions
    assert set(today.cells) == set(now.cells)
    for key, cell in now.cells.items():
        assert today.cells[key] == cell, key


def test_an_edit_shows_from_the_day_it_was_made(loaded: Database) -> None:
    with loaded.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=10), "r")
    with loaded.session() as session:
        yesterday = service.matrix(session, utc_today() - timedelta(days=1))
        today = service.matrix(session, utc_today())
    assert ("MY", "PM05") not in yesterday.cells
    assert today.cell("MY", "PM05").value["levels"] == 10  # type: ignore[index]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the time the service writes into history."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(service, "utcnow", lambda: moment)

    return set_to


LOADED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LAST_MINUTE = datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


@pytest.fixture
def past(database: Database, clock: Callable[[datetime], None]) -> Database:
    """Bundled data loaded on 20 November; MY/PM05 edited at 23:59:59 on the 24th
    (9 levels) and at midnight starting the 25th (10 levels)."""
    clock(LOADED_AT)
    with database.transaction() as session:
        service.load_bundled(session)
        session.exec(update(PolicyJurisdiction).values(created_at=LOADED_AT))
    clock(LAST_MINUTE)
    with database.transaction() as session:
        service.update_cell(session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=9), "9")
    clock(MIDNIGHT)
    with database.transaction() as session:
        service.update_cell(
            session, RESEARCHER, "MY", "PM05", edited("MY", "PM05", levels=10), "10"
        )
    return database


def levels_on(database: Database, day: date) -> object:
    with database.session() as session:
        value = service.matrix(session, day).cell("MY", "PM05").value
    return None if value is None else value["levels"]


def test_the_matrix_as_of_a_day_is_the_cells_at_its_end(past: Database) -> None:
    assert levels_on(past, date(2026, 11, 19)) is None
    assert levels_on(past, date(2026, 11, 20)) == 8
    assert levels_on(past, date(2026, 11, 23)) == 8
    assert levels_on(past, date(2026, 11, 24)) == 9
    assert levels_on(past, date(2026, 11, 25)) == 10
    with past.session() as session:
        assert service.matrix(session, date(2026, 11, 19)).jurisdictions == ()
        on_the_20th = service.matrix(session, date(2026, 11, 20))
    assert tuple(j.code for j in on_the_20th.jurisdictions) == ORDER
    assert len(on_the_20th.cells) == BUNDLED_CELLS
    assert on_the_20th.cell("DE", "PM01") == current(past).cell("DE", "PM01")


def test_changes_between_dates_are_listed_oldest_first(past: Database) -> None:
    with past.session() as session:
        on_the_24th = changes_between(session, date(2026, 11, 24), date(2026, 11, 24))
        both = changes_between(session, date(2026, 11, 21), date(2026, 11, 25))
        loading = changes_between(session, date(2026, 11, 20), date(2026, 11, 20))
        none = changes_between(session, date(2026, 11, 21), date(2026, 11, 23))
        everything = changes_between(session, date(2026, 11, 1), TODAY)
    assert [(c.reason, c.changed_at) for c in on_the_24th] == [("9", LAST_MINUTE)]
    assert [(c.reason, c.changed_at) for c in both] == [("9", LAST_MINUTE), ("10", MIDNIGHT)]
    assert both[1].old is not None and both[1].old.value["levels"] == 9  # type: ignore[index]
    assert len(loading) == BUNDLED_CELLS
    assert none == ()
    assert len(everything) == BUNDLED_CELLS + 2
    assert [c.changed_at for c in everything] == sorted(c.changed_at for c in everything)


def test_changes_between_refuses_dates_in_the_wrong_order(loaded: Database) -> None:
    with pytest.raises(MatrixProblem) as caught, loaded.session() as session:
        changes_between(session, date(2026, 11, 22), date(2026, 11, 21))
    assert caught.value.error is MatrixError.DATE_ORDER
    assert (
        caught.value.message == "The first date (2026-11-22) comes after the second (2026-11-21)."
    )


# New jurisdictions


def test_a_researcher_adds_a_country(loaded: Database) -> None:
    with loaded.transaction() as session:
        added = service.add_jurisdiction(session, RESEARCHER, " th ", region="ASEAN")
        named = service.add_jurisdiction(session, ADMIN, "VN", name=" Viet Nam ", region="ASEAN")
    assert (added.code, added.name, added.kind, added.region) == (
        "TH",
        "Thailand",
        "country",
        "ASEAN",
    )
    assert named.name == "Viet Nam"
    codes = tuple(j.code for j in current(loaded).jurisdictions)
    assert codes == (*ORDER[:6], "TH", "VN", *ORDER[6:])


@pytest.mark.parametrize(
    ("code", "region", "places"),
    [
        ("XX", "ASEAN", ["code"]),
        ("THA", "ASEAN", ["code"]),
        ("", "ASEAN", ["code"]),
        ("TH", "Asia", ["region"]),
        ("XX", "Asia", ["code", "region"]),
    ],
)
def test_a_country_needs_an_iso_code_and_a_known_region(
    loaded: Database, code: str, region: str, places: list[str]
) -> None:
    with pytest.raises(EntryInvalid) as caught, loaded.transaction() as session:
        service.add_jurisdiction(session, RESEARCHER, code, region=region)
    assert sorted(caught.value.errors) == places
    assert len(current(loaded).jurisdictions) == 8


def test_a_country_is_added_once(loaded: Database) -> None:
    with pytest.raises(MatrixConflict) as caught, loaded.transaction() as session:
        service.add_jurisdiction(session, RESEARCHER, "my", region="ASEAN")
    assert caught.value.message == "The matrix has a jurisdiction MY already."


@pytest.mark.parametrize("actor", [COORDINATOR_MY, ORGANISER], ids=["coordinator", "organiser"])
def test_only_researchers_and_admins_add_countries(loaded: Database, actor: Actor) -> None:
    with pytest.raises(MatrixForbidden), loaded.transaction() as session:
        service.add_jurisdiction(session, actor, "TH", region="ASEAN")
    assert len(current(loaded).jurisdictions) == 8


# History is append-only in the database itself


def rows_as_stored(database: Database) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT id, jurisdiction, dimension, reason, actor, old, new "
                    "FROM policy_change ORDER BY id"
                )
            )
        ]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE policy_change SET reason = 'x'",
        "UPDATE policy_change SET new = old WHERE jurisdiction = 'MY'",
        "DELETE FROM policy_change",
        "DELETE FROM policy_change WHERE dimension = 'PM05'",
    ],
)
def test_the_database_refuses_to_change_history(loaded: Database, statement: str) -> None:
    stored = rows_as_stored(loaded)
    assert len(stored) == BUNDLED_CELLS
    with pytest.raises(DBAPIError, match="append-only"), loaded.engine.begin() as connection:
        connection.execute(text(statement))
    assert rows_as_stored(loaded) == stored


def test_the_database_refuses_to_truncate_history(loaded: Database) -> None:
    if loaded.settings.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused above)")
    stored = rows_as_stored(loaded)
    with pytest.raises(DBAPIError, match="append-only"), loaded.engine.begin() as connection:
        connection.execute(text("TRUNCATE policy_change"))
    assert rows_as_stored(loaded) == stored


def test_the_database_refuses_history_changes_made_through_the_orm(loaded: Database) -> None:
    stored = rows_as_stored(loaded)
    with pytest.raises(DBAPIError, match="append-only"), loaded.transaction() as session:
        row = session.exec(select(PolicyChange)).first()
        assert row is not None
        row.reason = "rewritten"
        session.add(row)
        session.flush()
    with pytest.raises(DBAPIError, match="append-only"), loaded.transaction() as session:
        row = session.exec(select(PolicyChange)).first()
        session.delete(row)
        session.flush()
    assert rows_as_stored(loaded) == stored


def test_the_policy_matrix_code_never_updates_or_deletes_history() -> None:
    # A guard beside the triggers: the package deletes no rows at all today, so any
    # session.delete() is looked at, as are update()/delete() of PolicyChange and raw SQL.
    writes_history = re.compile(
        r"(delete|update)\(\s*PolicyChange\b"
        r"|(?i:\b(delete\s+from|update|truncate(\s+table)?)\s+\"?policy_change\b)"
        r"|session\.delete\("
    )
    package = Path(policy_matrix.__file__).parent
    sources = sorted(package.glob("*.py"))
    assert package / "service.py" in sources
    offending = [
        f"{path.name}: {match.group(0)}"
        for path in sources
        for match in writes_history.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []
