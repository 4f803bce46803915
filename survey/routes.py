"""Staff pages for questionnaires: upload and check, publish, preview, open and close."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow
from microcasa.deps import DbSession, PlatformDep
from microcasa.flash import redirect_with_flash
from survey import fieldwork, versions
from survey.cli import outline
from survey.errors import Refused, SurveyError, SurveyProblem
from survey.i18n import translator
from survey.presentation import language_for, page_view
from survey.xlsform import FormInvalid
from survey.xlsform.model import language_code

EDITORS = allow(Role.ADMIN, Role.RESEARCHER)
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _safe_filename(name: str, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:100] or fallback


class FormsController(Controller):
    path = "/forms"
    include_in_schema = False
    opt = EDITORS

    @get("/", name="forms", sync_to_thread=True)
    def index(self, db: DbSession) -> Template:
        return Template(
            template_name="survey/forms.html",
            context={"title": "Questionnaires", "forms": versions.list_questionnaires(db)},
        )

    @get("/upload", sync_to_thread=False)
    def upload_page(self) -> Template:
        return Template(
            template_name="survey/upload.html", context={"title": "Upload a questionnaire"}
        )

    @post("/upload", sync_to_thread=True, status_code=200)
    def upload(
        self,
        request: Request[Any, Any, Any],
        data: UploadData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template | Redirect:
        upload = data.get("file")
        action = data.get("action", "check")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return Template(
                template_name="survey/upload.html",
                context={"title": "Upload a questionnaire", "problem": SurveyError.NO_FILE.value},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        content = upload.file.read(platform.settings.upload_max_bytes + 1)
        filename = _safe_filename(upload.filename, "questionnaire.xlsx")
        try:
            if action == "publish":
                identity = current_identity(request)
                assert identity is not None, "the route is guarded"
                published = versions.publish(
                    db, content, filename, publisher=identity.email, publisher_id=identity.id
                )
                db.commit()
                version = published.version
                form_id = versions.form_of(version).form_id
                word = "published as a draft" if published.created else "was already published"
                return redirect_with_flash(
                    platform,
                    f"/forms/{form_id}/{version.version}",
                    f"Version {version.version} {word}.",
                    "success",
                )
            result = versions.read_source(content, filename)
        except FormInvalid as exc:
            db.rollback()
            return Template(
                template_name="survey/upload.html",
                context={
                    "title": "Upload a questionnaire",
                    "issues": exc.issues,
                    "filename": filename,
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        except SurveyProblem as exc:
            db.rollback()
            return Template(
                template_name="survey/upload.html",
                context={
                    "title": "Upload a questionnaire",
                    "problem": exc.message,
                    "filename": filename,
                },
                status_code=409 if isinstance(exc, Refused) else HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Template(
            template_name="survey/upload.html",
            context={
                "title": "Upload a questionnaire",
                "checked": result.form,
                "issues": result.warnings,
                "filename": filename,
                "outline": outline(result.form),
            },
        )

    @get("/{form_id:str}", sync_to_thread=True)
    def questionnaire(self, form_id: FromPath[str], db: DbSession) -> Template:
        questionnaire = versions.get_questionnaire(db, form_id)
        items = versions.versions_of(db, questionnaire)
        return Template(
            template_name="survey/form.html",
            context={
                "title": questionnaire.title,
                "questionnaire": questionnaire,
                "versions": items,
                "counts": fieldwork.response_counts(db, [v.id for v in items if v.id is not None]),
            },
        )

    @get("/{form_id:str}/{version:str}", sync_to_thread=True)
    def version(self, form_id: FromPath[str], version: FromPath[str], db: DbSession) -> Template:
        stored = versions.get_version(db, form_id, version)
        form = versions.form_of(stored)
        return Template(
            template_name="survey/version.html",
            context={
                "title": f"{form.title} – version {stored.version}",
                "form": form,
                "stored": stored,
                "language_code": language_code,
            },
        )

    @get("/{form_id:str}/{version:str}/preview", sync_to_thread=True)
    def preview(
        self,
        form_id: FromPath[str],
        version: FromPath[str],
        db: DbSession,
        lang: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        stored = versions.get_version(db, form_id, version)
        form = versions.form_of(stored)
        language = language_for(form, lang)
        number = min(max(page, 1), len(form.pages))
        view = page_view(form, form.pages[number - 1].name, language)
        return Template(
            template_name="survey/preview.html",
            context={
                "title": f"Preview: {form.title}",
                "form": form,
                "stored": stored,
                "page": view,
                "language": language,
                "lang": language_code(language),
                "language_code": language_code,
                "_": translator(language),
            },
        )

    @post("/{form_id:str}/{version:str}/status", sync_to_thread=True, status_code=303)
    def set_status(
        self,
        form_id: FromPath[str],
        version: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect:
        stored = versions.get_version(db, form_id, version)
        versions.set_status(db, stored, data.get("status", ""))
        db.commit()
        return redirect_with_flash(
            platform,
            f"/forms/{form_id}/{version}",
            f"Version {stored.version} is now {stored.status}.",
            "success",
        )

    @get("/{form_id:str}/{version:str}/source", sync_to_thread=True)
    def source(
        self, form_id: FromPath[str], version: FromPath[str], db: DbSession
    ) -> Response[bytes]:
        stored = versions.get_version(db, form_id, version)
        name = _safe_filename(f"{form_id}-{stored.version}.{stored.source_kind}", "form.xlsx")
        media_type = (
            "text/markdown; charset=utf-8"
            if stored.source_kind == "md"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return Response(
            stored.source,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )


route_handlers = [FormsController]
