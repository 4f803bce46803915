"""Publishing questionnaires: versions are immutable, ordered, and idempotent to re-publish."""

from __future__ import annotations

import pytest
from sqlmodel import select

from microcasa.db import Database
from survey import versions
from survey.demo import BUNDLED_FORM, publish_bundled_form
from survey.errors import Refused, SurveyError, SurveyProblem
from survey.models import FormVersion, VersionStatus
from survey.xlsform import FormInvalid

FORM = """
## survey
| type | name | label::English (en) | label::Español (es) |
| --- | --- | --- | --- |
| text | inst | Institution | Institución |
| integer | staff | Staff | Personal |

## settings
| form_id | version | default_language |
| --- | --- | --- |
| hei_short | {version} | English (en) |
"""


def _publish(database: Database, version: str, extra: str = "") -> versions.Published:
    text = FORM.format(version=version) + extra
    with database.transaction() as session:
        return versions.publish(session, text.encode(), "short.md", publisher="tester")


def test_publish_stores_definition_source_hash_and_publisher(database: Database) -> None:
    published = _publish(database, "2026010101")
    assert published.created
    with database.session() as session:
        stored = session.exec(select(FormVersion)).one()
    assert stored.version == "2026010101"
    assert stored.status == VersionStatus.DRAFT
    assert stored.publisher == "tester"
    assert stored.definition["form_id"] == "hei_short"
    assert [q["name"] for q in stored.definition["questions"]] == ["inst", "staff"]
    assert stored.source == FORM.format(version="2026010101").encode()
    assert len(stored.sha256) == 64
    assert versions.form_of(stored).question("staff").labels["Español (es)"] == "Personal"


def test_same_file_again_is_idempotent(database: Database) -> None:
    first = _publish(database, "2026010101")
    again = _publish(database, "2026010101")
    assert not again.created
    assert again.version.id == first.version.id
    with database.session() as session:
        assert len(session.exec(select(FormVersion)).all()) == 1


def test_same_version_with_other_content_is_refused(database: Database) -> None:
    _publish(database, "2026010101")
    changed = FORM.format(version="2026010101").replace("Staff", "Academic staff")
    with pytest.raises(Refused) as refused, database.transaction() as session:
        versions.publish(session, changed.encode(), "short.md", publisher="tester")
    assert refused.value.error is SurveyError.VERSION_CHANGED
    assert "raise the version" in refused.value.message
    assert "2026010102" in refused.value.message


def test_new_version_must_sort_after_the_newest(database: Database) -> None:
    _publish(database, "2026010105")
    with pytest.raises(Refused) as refused:
        _publish(database, "2026010103")
    assert refused.value.error is SurveyError.VERSION_NOT_NEWER
    assert "2026010105" in refused.value.message
    newer = _publish(database, "2026010106")
    assert newer.created


def test_version_order_is_natural() -> None:
    ordered = ["1", "2", "9", "10", "1.9", "1.10", "2026112801", "2026112802"]
    assert sorted(["2", "10", "1", "9"], key=versions.version_key) == ordered[:4]
    assert versions.version_key("1.9") < versions.version_key("1.10")
    assert versions.version_key("2026112801") < versions.version_key("2026112802")


def test_a_form_without_version_cannot_be_published(database: Database) -> None:
    text = FORM.format(version="").replace("| hei_short |  |", "| hei_short | |")
    with pytest.raises(SurveyProblem) as problem, database.transaction() as session:
        versions.publish(session, text.encode(), "short.md", publisher="tester")
    assert problem.value.error is SurveyError.VERSION_MISSING


def test_an_invalid_form_stores_nothing(database: Database) -> None:
    bad = FORM.format(version="2026010101").replace("| integer | staff |", "| integer | inst |")
    with pytest.raises(FormInvalid), database.transaction() as session:
        versions.publish(session, bad.encode(), "short.md", publisher="tester")
    with database.session() as session:
        assert session.exec(select(FormVersion)).all() == []


def test_status_changes_and_unknown_status(database: Database) -> None:
    published = _publish(database, "2026010101")
    with database.transaction() as session:
        stored = session.get(FormVersion, published.version.id)
        assert stored is not None
        versions.set_status(session, stored, "open")
        assert stored.status == "open" and stored.status_changed_at is not None
        with pytest.raises(SurveyProblem, match="not a status"):
            versions.set_status(session, stored, "archived")


def test_bundled_form_publishes_open_and_idempotently(database: Database) -> None:
    with database.transaction() as session:
        first = publish_bundled_form(session)
    with database.transaction() as session:
        second = publish_bundled_form(session)
    assert first.id == second.id
    assert first.status == "open"
    assert first.source == BUNDLED_FORM.read_bytes()
    with database.session() as session:
        questionnaire = versions.get_questionnaire(session, "microcasa_hei")
        assert [v.version for v in versions.versions_of(session, questionnaire)] == ["2026112810"]
