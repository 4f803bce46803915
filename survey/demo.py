"""Survey demo data: the bundled MICROCASA HEI questionnaire, published and open."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from survey.models import FormVersion, VersionStatus
from survey.versions import publish

BUNDLED_FORM = Path(__file__).parent / "forms" / "microcasa_hei.xlsx"


def publish_bundled_form(session: Session) -> FormVersion:
    """Publish (idempotently) and open the bundled questionnaire."""
    published = publish(
        session,
        BUNDLED_FORM.read_bytes(),
        BUNDLED_FORM.name,
        publisher="demo",
        status=VersionStatus.OPEN,
    )
    return published.version
