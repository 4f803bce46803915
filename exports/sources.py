"""What the white paper takes besides the report: form versions with their hashes, the
policy matrix and the codebook, read from one database session (CLI and pages alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

if TYPE_CHECKING:
    from analysis.frame import Frame
    from policy_matrix.service import Matrix

Codebook = tuple[list[str], list[list[object]]]


def whitepaper_inputs(
    session: Session, form_id: str, frame: Frame
) -> tuple[list[tuple[str, str]], Matrix | None, Codebook]:
    """The form versions of ``frame`` with their SHA-256, oldest first; the policy matrix
    as it is now (None when it has no jurisdiction); the codebook table of the frame."""
    from exports.codebook import codebook, codebook_table, forms_of, languages_of
    from policy_matrix.service import matrix
    from survey.versions import get_questionnaire, version_key, versions_of

    stored = versions_of(session, get_questionnaire(session, form_id))
    versions = [
        (v.version, v.sha256)
        for v in sorted(stored, key=lambda v: version_key(v.version))
        if v.version in frame.versions
    ]
    current = matrix(session)
    forms = forms_of(session, form_id, frame.versions)
    table = codebook_table(codebook(frame, forms), languages_of(forms))
    return versions, (current if current.jurisdictions else None), table
