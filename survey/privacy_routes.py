"""Access requests on the web: everything held about one invited respondent, as a JSON download."""

from __future__ import annotations

import json

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response

from microcasa.auth.roles import Role, allow
from microcasa.db import utcnow
from microcasa.deps import DbSession
from survey import privacy, versions
from survey.models import Invitation


class PrivacyController(Controller):
    path = "/forms/{form_id:str}/invitations/{invitation_id:int}"
    include_in_schema = False

    @get("/data.json", opt=allow(Role.ADMIN), sync_to_thread=True)
    def respondent_data(
        self, form_id: FromPath[str], invitation_id: FromPath[int], db: DbSession
    ) -> Response[bytes]:
        """What the platform holds about this invitation's respondent (docs/privacy.md)."""
        questionnaire = versions.get_questionnaire(db, form_id)
        fits = 1 <= invitation_id <= privacy.LARGEST_ID
        invitation = db.get(Invitation, invitation_id) if fits else None
        if invitation is None or invitation.questionnaire_id != questionnaire.id:
            raise NotFoundException("There is no such invitation.")
        record = privacy.respondent_record(db, [invitation])
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return Response(
            json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
            media_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="respondent-{form_id}-{invitation_id}-{stamp}.json"'
                ),
                "Cache-Control": "no-store",
            },
        )


route_handlers = [PrivacyController]
