"""Staff pages of the exports: what each role may download, and the country summaries.

A country summary (page and workbook) is always the organisers' view, small
counts hidden, whoever opens it: it is made to be handed round a roundtable.
Coordinators open their own country's summary only. Raw respondent data and
the codebook are not downloads here: researchers and admins write them with
``microcasa export data|codebook`` (docs/exports.md).
"""

from __future__ import annotations

import io
import re
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from litestar.types import ControllerRouterHandler

from analysis.errors import AnalysisProblem
from microcasa.auth.guards import ensure_country_scope, signed_in
from microcasa.auth.roles import Role, allow, staff
from microcasa.deps import DbSession
from policy_matrix.service import jurisdictions

# pandas and openpyxl load with the first summary, not at every server start.

SUMMARY_READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.ORGANISER, Role.COORDINATOR)
DEFAULT_FORM = "microcasa_hei"  # exports.country.DEFAULT_FORM
WHITEPAPER_PATH = "/exports/whitepaper"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_filename(text: str) -> str:
    """Letters, digits, dot, dash and underscore only: safe in a Content-Disposition header."""
    kept = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return kept[:100] or "download"


def _summary(db: DbSession, code: str, form: str, lang: str | None) -> Any:
    from exports.country import CountryUnknown, country_summary

    try:
        return country_summary(db, form, code, language=lang or None)
    except CountryUnknown as exc:
        raise NotFoundException(str(exc)) from None
    except AnalysisProblem as exc:
        raise HTTPException(status_code=HTTP_422_UNPROCESSABLE_ENTITY, detail=exc.message) from None


class ExportPages(Controller):
    path = "/exports"
    include_in_schema = False

    @get("/", opt=staff(), sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        """What the signed-in role may download, and how."""
        identity = signed_in(request)
        countries = [j for j in jurisdictions(db) if not j.is_reference]
        if identity.role is Role.COORDINATOR:
            countries = [j for j in countries if j.code.upper() == (identity.country or "")]
        whitepaper = any(route.path == WHITEPAPER_PATH for route in request.app.routes)
        return Template(
            template_name="exports/index.html",
            context={
                "title": "Exports",
                "countries": countries,
                "role": identity.role,
                "whitepaper": WHITEPAPER_PATH if whitepaper else None,
                "summaries_for_all": identity.role is not Role.COORDINATOR,
                "data_files": identity.role in (Role.ADMIN, Role.RESEARCHER),
            },
        )

    @get("/country/{code:str}", opt=SUMMARY_READERS, sync_to_thread=True)
    def country(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        code: FromPath[str],
        form: FromQuery[str] = DEFAULT_FORM,
        lang: FromQuery[str | None] = None,
    ) -> Template:
        """The printable summary of one country for a roundtable (A4)."""
        from analysis import footnotes
        from exports.country_charts import ranked_chart

        ensure_country_scope(signed_in(request), code)
        summary = _summary(db, code, form, lang)
        return Template(
            template_name="exports/country.html",
            context={
                "title": f"Country summary – {summary.name}",
                "s": summary,
                "percent": footnotes.percent,
                "chart": ranked_chart,
                "lang_asked": lang or "",
            },
        )

    @get("/country/{code:str}/xlsx", opt=SUMMARY_READERS, sync_to_thread=True)
    def country_xlsx(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        code: FromPath[str],
        form: FromQuery[str] = DEFAULT_FORM,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The summary as a workbook download."""
        from exports.country_workbook import country_workbook

        ensure_country_scope(signed_in(request), code)
        summary = _summary(db, code, form, lang)
        buffer = io.BytesIO()
        country_workbook(summary).save(buffer)
        name = safe_filename(f"microcasa-country-{summary.code}.xlsx")
        return Response(
            buffer.getvalue(),
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


route_handlers: list[ControllerRouterHandler] = [ExportPages]
