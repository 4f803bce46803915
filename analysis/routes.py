"""Staff pages of the analysis: forms to analyse, the comparative tables, a table as CSV,
and the response-progress dashboard.

Organisers see every table with its small counts hidden (:func:`analysis.service.suppressed`);
researchers and admins see all counts and may preview the organisers' view.
Coordinators follow their own country's progress only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from litestar.types import ControllerRouterHandler

from analysis.errors import AnalysisError, AnalysisProblem
from microcasa.auth.guards import signed_in
from microcasa.auth.roles import Role, allow, staff
from microcasa.auth.service import Identity
from microcasa.deps import DbSession
from survey.versions import get_questionnaire

# pandas and scipy load with the first analysis page, not at every server start.

READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.ORGANISER)
ALL_SECTIONS = "all"
SUPPRESS_BELOW = 5  # analysis.table_model.SUPPRESS_BELOW (checked by a test)


def _formatters() -> dict[str, Any]:
    """The functions the templates write numbers and charts with."""
    from analysis import footnotes
    from analysis.charts import chart

    return {
        "count": footnotes.count,
        "percent": footnotes.percent,
        "interval": footnotes.interval,
        "number": footnotes.number,
        "p_value": footnotes.p_value,
        "footnotes": footnotes.footnotes,
        "summary_lines": footnotes.summary_lines,
        "chart": chart,
    }


def _threshold(identity: Identity, view: str | None) -> int | None:
    """Organisers always see small counts hidden; others when they preview that view."""
    if identity.role is Role.ORGANISER or view == "organiser":
        return SUPPRESS_BELOW
    return None


def _safe_name(text: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in text)
    return kept.strip("-")[:80] or "table"


class AnalysisPages(Controller):
    path = "/analysis"
    include_in_schema = False

    @get("/", opt=staff(), sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        """Questionnaires to analyse, and their progress."""
        from analysis import service

        return Template(
            template_name="analysis/index.html",
            context={
                "title": "Analysis",
                "forms": service.analysable_forms(db),
                "reader": signed_in(request).role is not Role.COORDINATOR,
            },
        )

    @get("/{form_id:str}", opt=READERS, sync_to_thread=True)
    def report(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        form_id: FromPath[str],
        by: FromQuery[str] = "country",
        filter: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        section: FromQuery[str | None] = None,
        view: FromQuery[str | None] = None,
    ) -> Template:
        """The comparative tables of one questionnaire, a section at a time."""
        from analysis import service

        identity = signed_in(request)
        threshold = _threshold(identity, view)
        questionnaire = get_questionnaire(db, form_id)
        problem: AnalysisProblem | None = None
        try:
            analysis = service.analyse(
                db, form_id, by=by, filter=filter, language=lang, suppress_below=threshold
            )
        except AnalysisProblem as exc:
            if exc.error is AnalysisError.NO_RESPONSES:
                return Template(
                    template_name="analysis/report.html",
                    context={
                        "title": questionnaire.title,
                        "form_id": form_id,
                        "empty": exc.message,
                        "analysis": None,
                    },
                )
            problem = exc
            analysis = service.analyse(db, form_id, suppress_below=threshold)
        sections = analysis.report.sections
        names = [s.name for s in sections]
        chosen = section if section in (*names, ALL_SECTIONS) else (names[0] if names else None)
        shown = [s for s in sections if chosen in (ALL_SECTIONS, s.name)]
        return Template(
            template_name="analysis/report.html",
            context={
                "title": f"Tables – {questionnaire.title}",
                "form_id": form_id,
                "analysis": analysis,
                "report": analysis.report,
                "shown": shown,
                "section": chosen,
                "by": by if problem is None else analysis.report.provenance.by,
                "asked": {"by": by, "filter": filter or "", "lang": lang or ""},
                "problem": problem.message if problem else None,
                "view": "organiser" if threshold else "",
                "organiser": identity.role is Role.ORGANISER,
                **_formatters(),
            },
            status_code=HTTP_422_UNPROCESSABLE_ENTITY if problem else 200,
        )

    @get("/{form_id:str}/tables/{question:str}/csv", opt=READERS, sync_to_thread=True)
    def table_csv(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        form_id: FromPath[str],
        question: FromPath[str],
        by: FromQuery[str] = "country",
        filter: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        view: FromQuery[str | None] = None,
    ) -> Response[str]:
        """One table as CSV, as its page shows it (organisers: small counts hidden)."""
        from analysis import service
        from analysis.table_csv import table_csv

        threshold = _threshold(signed_in(request), view)
        try:
            analysis = service.analyse(
                db, form_id, by=by, filter=filter, language=lang, suppress_below=threshold
            )
            table = service.table_in(analysis, question)
        except AnalysisProblem as exc:
            return Response(
                exc.message + "\n",
                status_code=HTTP_422_UNPROCESSABLE_ENTITY
                if exc.error is not AnalysisError.QUESTION_UNKNOWN
                else 404,
                media_type="text/plain; charset=utf-8",
            )
        name = f"{_safe_name(form_id)}_{_safe_name(question)}_by_{_safe_name(by)}.csv"
        return Response(
            table_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/{form_id:str}/policy", opt=READERS, sync_to_thread=True)
    def policy(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        form_id: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Template:
        """Per country, the policy matrix's indicators beside the survey's."""
        from analysis import service
        from analysis.policy_survey import policy_survey
        from policy_matrix.service import matrix

        threshold = _threshold(signed_in(request), None)
        questionnaire = get_questionnaire(db, form_id)
        try:
            analysis = service.analyse(db, form_id, language=lang, suppress_below=threshold)
        except AnalysisProblem as exc:
            return Template(
                template_name="analysis/policy.html",
                context={"title": questionnaire.title, "form_id": form_id, "empty": exc.message},
                status_code=200 if exc.error is AnalysisError.NO_RESPONSES else 422,
            )
        found = policy_survey(
            service.frame_of(db, form_id), matrix(db), language=analysis.report.language
        )
        return Template(
            template_name="analysis/policy.html",
            context={
                "title": f"Policy and survey – {questionnaire.title}",
                "form_id": form_id,
                "found": found,
                "synthetic": analysis.synthetic,
                "threshold": threshold,
                **_formatters(),
            },
        )

    @get("/{form_id:str}/progress", opt=staff(), sync_to_thread=True)
    def progress(
        self, request: Request[Any, Any, Any], db: DbSession, form_id: FromPath[str]
    ) -> Template:
        """Response progress by country; a coordinator sees their own country only."""
        from analysis.progress import progress

        identity = signed_in(request)
        questionnaire = get_questionnaire(db, form_id)
        scope = identity.country if identity.role is Role.COORDINATOR else None
        found = progress(db, questionnaire, scope)
        return Template(
            template_name="analysis/progress.html",
            context={
                "title": f"Progress – {questionnaire.title}",
                "progress": found,
                "peak": max((n for _, n in found.per_day), default=0),
                "reader": identity.role is not Role.COORDINATOR,
            },
        )


route_handlers: list[ControllerRouterHandler] = [AnalysisPages]
