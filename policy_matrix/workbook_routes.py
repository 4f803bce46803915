"""Staff pages of the policy matrix's workbook: download, upload, preview, apply.

How the plan travels from the preview to the apply step: the uploaded file is
never kept on the server. The preview page carries the checked new content of
each changed cell (with the revision it replaces) as JSON in a hidden field,
signed with an HMAC under the platform's secret key, bound to the account that
uploaded it and valid for two hours. The apply step refuses a plan whose
signature, account or age does not match, and :func:`apply_plan` checks every
cell again (scope, values, and the revision: a cell changed by someone else
since the preview is refused, not overwritten).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from microcasa.db import utcnow
from microcasa.deps import DbSession, PlatformDep
from microcasa.flash import redirect_with_flash
from microcasa.spreadsheet import MAX_FILE_BYTES
from policy_matrix.errors import (
    EntryInvalid,
    MatrixConflict,
    MatrixError,
    MatrixForbidden,
    MatrixProblem,
)
from policy_matrix.service import Actor
from policy_matrix.web import EDITORS, READERS, actor_of
from policy_matrix.workbook_plan import ImportPlan, apply_plan, plan_from_payload
from survey.tokens import digest

UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

PLAN_PURPOSE = "policy-import-plan"
PLAN_MAX_AGE = timedelta(hours=2)
NO_FILE = "Choose the matrix workbook (.xlsx) to upload."
PLAN_REFUSED = (
    "This preview cannot be applied: it was changed, is older than two hours, or belongs to "
    "another account. Upload the workbook again."
)
NOT_APPLIED = "Nothing was applied: download the workbook again and repeat your changes in it."
TITLE = "Import the matrix workbook"


def sign_plan(secret_key: str, actor: Actor, plan: ImportPlan, now: datetime) -> str:
    """The plan as a hidden-field value: base64 JSON, a dot, and its HMAC."""
    body = {"actor": actor.id, "issued": now.isoformat(), "plan": plan.payload()}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{encoded}.{digest(secret_key, PLAN_PURPOSE, encoded)}"


def verified_plan(
    secret_key: str, actor: Actor, token: str, now: datetime
) -> dict[str, Any] | None:
    """The payload of a signed plan; None unless it is intact, this actor's and recent."""
    encoded, _, signature = token.strip().rpartition(".")
    if not encoded or not hmac.compare_digest(
        signature.encode("ascii", "replace"),
        digest(secret_key, PLAN_PURPOSE, encoded).encode("ascii"),
    ):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        issued = datetime.fromisoformat(body["issued"])
        payload = body["plan"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if body.get("actor") != actor.id or not timedelta(0) <= now - issued <= PLAN_MAX_AGE:
        return None
    return payload if isinstance(payload, dict) else None


def _upload_page(actor: Actor, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name="policy/import.html",
        context={"title": TITLE, "actor": actor, **context},
        status_code=status_code,
    )


def _preview(
    actor: Actor,
    plan: ImportPlan,
    token: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    return Template(
        template_name="policy/import_preview.html",
        context={
            "title": "Check the changes",
            "actor": actor,
            "plan": plan,
            "token": token,
            "errors": {},
            **context,
        },
        status_code=status_code,
    )


class WorkbookController(Controller):
    path = "/policy"
    include_in_schema = False

    @get("/workbook", opt=READERS, sync_to_thread=True)
    def download(self, db: DbSession) -> Response[bytes]:
        # openpyxl (and numpy with it) loads on first use, not at every server start.
        from policy_matrix.workbook import XLSX_MEDIA_TYPE, export_workbook

        content = export_workbook(db)
        name = f"microcasa-policy-matrix-{utcnow().date().isoformat()}.xlsx"
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/import", opt=EDITORS, sync_to_thread=False)
    def upload_page(self, request: Request[Any, Any, Any]) -> Template:
        return _upload_page(actor_of(request))

    @post("/import", opt=EDITORS, sync_to_thread=True, status_code=200)
    def upload(
        self, request: Request[Any, Any, Any], data: UploadData, platform: PlatformDep
    ) -> Template:
        from policy_matrix.workbook_errors import WorkbookInvalid
        from policy_matrix.workbook_import import read_workbook

        actor = actor_of(request)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_page(actor, HTTP_422_UNPROCESSABLE_ENTITY, problem=NO_FILE)
        content = upload.file.read(MAX_FILE_BYTES + 1)
        # A read-only session: checking a workbook writes nothing, so it takes no write lock.
        with platform.db.session() as session:
            try:
                plan = read_workbook(session, content, actor)
            except WorkbookInvalid as exc:
                return _upload_page(actor, HTTP_422_UNPROCESSABLE_ENTITY, issues=exc.issues)
        return _preview(actor, plan, sign_plan(platform.secret_key, actor, plan, utcnow()))

    @post("/import/apply", opt=EDITORS, sync_to_thread=True, status_code=303)
    def apply(
        self,
        request: Request[Any, Any, Any],
        data: FormData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template | Redirect:
        actor = actor_of(request)
        token = str(data.get("plan") or "")
        payload = verified_plan(platform.secret_key, actor, token, utcnow())
        if payload is None:
            return _upload_page(actor, HTTP_400_BAD_REQUEST, problem=PLAN_REFUSED)
        try:
            plan = plan_from_payload(db, payload)
        except (MatrixProblem, KeyError, TypeError, ValueError):
            return _upload_page(actor, HTTP_400_BAD_REQUEST, problem=PLAN_REFUSED)
        reason = str(data.get("reason") or "").strip()
        if not reason:
            errors = {"reason": MatrixError.REASON_MISSING.value}
            return _preview(actor, plan, token, HTTP_422_UNPROCESSABLE_ENTITY, errors=errors)
        try:
            written = apply_plan(db, actor, plan, reason)
        except EntryInvalid as exc:
            db.rollback()
            if set(exc.errors) == {"reason"}:
                errors = {"reason": " ".join(exc.errors["reason"])}
                return _preview(actor, plan, token, HTTP_422_UNPROCESSABLE_ENTITY, errors=errors)
            problems = [f"{place}: {' '.join(messages)}" for place, messages in exc.errors.items()]
            return _upload_page(actor, HTTP_422_UNPROCESSABLE_ENTITY, problems=problems)
        except MatrixProblem as exc:
            db.rollback()
            status = {MatrixForbidden: HTTP_403_FORBIDDEN, MatrixConflict: HTTP_409_CONFLICT}
            code = status.get(type(exc), HTTP_422_UNPROCESSABLE_ENTITY)
            return _upload_page(actor, code, problem=f"{exc.message} {NOT_APPLIED}")
        db.commit()
        count = len(written)
        message = f"{count} cell{'' if count == 1 else 's'} changed."
        return redirect_with_flash(platform, "/policy", message, "success")


route_handlers = [WorkbookController]
