"""Downloads of the exports page: the white paper, the codebook, and data files.

The white paper renders the analysis pages' own (cached) report: organisers always get
the copy with small counts hidden. Data files and the codebook are for researchers and
admins only (raw respondent data, even pseudonymous). A data file is written off the
request thread as an export job (:mod:`exports.jobs`): the page shows its progress and
then offers the file once; nothing is kept after the download.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ControllerRouterHandler

from analysis.errors import AnalysisError, AnalysisProblem
from exports.jobs import Job, JobRefused, Jobs
from exports.routes import DEFAULT_FORM, XLSX, safe_filename
from microcasa.auth.guards import signed_in
from microcasa.auth.roles import Role, allow
from microcasa.deps import DbSession, PlatformDep
from microcasa.platform import Platform

WHITEPAPER_READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.ORGANISER)
RAW_DATA = allow(Role.ADMIN, Role.RESEARCHER)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _owner(request: Request[Any, Any, Any]) -> int:
    return signed_in(request).id


def _jobs(platform: Platform) -> Jobs:
    return Jobs(platform.settings.export_folder)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{safe_filename(name)}"', **NO_STORE}


class ExportDownloads(Controller):
    path = "/exports"
    include_in_schema = False

    @get("/whitepaper", opt=WHITEPAPER_READERS, sync_to_thread=True)
    def whitepaper(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        form: FromQuery[str] = DEFAULT_FORM,
        view: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The white-paper workbook; organisers (or ``view=organiser``) get small counts hidden."""
        from analysis import service
        from exports.sources import whitepaper_inputs
        from exports.whitepaper import write_whitepaper

        hidden = signed_in(request).role is Role.ORGANISER or view == "organiser"
        try:
            analysis = service.analyse(db, form, suppress_below=5 if hidden else None)
        except AnalysisProblem as exc:
            status = 404 if exc.error is AnalysisError.NO_RESPONSES else 422
            raise HTTPException(status_code=status, detail=exc.message) from None
        versions, matrix, codebook = whitepaper_inputs(db, form, service.frame_of(db, form))
        buffer = io.BytesIO()
        write_whitepaper(
            analysis.report, buffer, matrix=matrix, codebook=codebook, versions=versions
        )
        copy = "-organisers" if hidden else ""
        return Response(
            buffer.getvalue(),
            media_type=XLSX,
            headers=_attachment(f"microcasa-whitepaper-{form}{copy}.xlsx"),
        )

    @get("/codebook", opt=RAW_DATA, sync_to_thread=True)
    def codebook(
        self, db: DbSession, form: FromQuery[str] = DEFAULT_FORM, format: FromQuery[str] = "xlsx"
    ) -> Response[bytes]:
        """The codebook of the data files, as .xlsx or .csv."""
        import tempfile
        from pathlib import Path

        from analysis.frame import load_responses
        from exports.codebook import codebook, forms_of, languages_of, write_codebook

        if format not in ("xlsx", "csv"):
            raise HTTPException(
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                detail=f"The codebook is written as xlsx or csv, not “{format[:20]}”.",
            )
        frame = load_responses(db, form)
        forms = forms_of(db, form, frame.versions)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / f"codebook.{format}"
            write_codebook(codebook(frame, forms), languages_of(forms), out)
            content = out.read_bytes()
        return Response(
            content,
            media_type=FORMATS[format],
            headers=_attachment(f"microcasa-codebook-{form}.{format}"),
        )

    @post("/data", opt=RAW_DATA, sync_to_thread=True, status_code=303)
    def start_data(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        platform: PlatformDep,
        data: FormData,
    ) -> Redirect:
        """Start writing a data file; its progress page follows."""
        from analysis.frame import load_responses
        from exports.data import write_data
        from survey.versions import get_questionnaire

        form = str(data.get("form") or DEFAULT_FORM)
        file_format = str(data.get("format") or "")
        if file_format not in FORMATS:
            raise HTTPException(
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                detail=f"Choose a file type: {', '.join(FORMATS)}.",
            )
        get_questionnaire(db, form)  # an unknown questionnaire: 404 now, not a failed job
        secret = platform.settings.resolved_secret_key()
        labels, bom = data.get("labels") == "1", data.get("bom") == "1"
        partial = data.get("partial") == "1"

        def work(path: Any, progress: Any) -> None:
            # In the job's thread, with a session of its own: the request has long returned.
            with platform.db.session() as session:
                frame = load_responses(session, form, include_partial=partial)
            total = len(frame.data)
            progress(0, total)
            write_data(
                frame,
                path,
                file_format,
                secret=secret,
                labels=labels,
                bom=bom,
                progress=lambda written: progress(written, total),
            )

        try:
            job = _jobs(platform).start(
                _owner(request), f"microcasa-{form}.{file_format}", FORMATS[file_format], work
            )
        except JobRefused as exc:
            raise HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
        return Redirect(f"/exports/jobs/{job.id}", status_code=303)

    @get("/jobs/{job_id:str}", opt=RAW_DATA, sync_to_thread=True)
    def job(
        self, request: Request[Any, Any, Any], platform: PlatformDep, job_id: FromPath[str]
    ) -> Template:
        """How far a data file has got; its download once written."""
        found = self._job(request, platform, job_id)
        return Template(
            template_name="exports/job.html",
            context={"title": f"Export – {found.filename}", "job": found},
            headers={"Cache-Control": "no-store"},
        )

    @get("/jobs/{job_id:str}/file", opt=RAW_DATA, sync_to_thread=True)
    def job_file(
        self, request: Request[Any, Any, Any], platform: PlatformDep, job_id: FromPath[str]
    ) -> File:
        """The written file, once: it is deleted after the download."""
        jobs = _jobs(platform)
        try:
            found, path = jobs.ready(job_id, _owner(request))
        except JobRefused as exc:
            raise NotFoundException(str(exc)) from None
        return File(
            path,
            filename=safe_filename(found.filename),
            media_type=found.media_type,
            headers=NO_STORE,
            background=BackgroundTask(jobs.forget, job_id),
        )

    def _job(self, request: Request[Any, Any, Any], platform: Platform, job_id: str) -> Job:
        try:
            return _jobs(platform).get(job_id, _owner(request))
        except JobRefused as exc:
            raise NotFoundException(str(exc)) from None


route_handlers: list[ControllerRouterHandler] = [ExportDownloads]
