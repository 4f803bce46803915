"""Staff pages of the policy matrix: the grid, a cell with its history, editing, changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from litestar.types import ControllerRouterHandler

from microcasa.auth.roles import Role, allow
from microcasa.db import utcnow
from microcasa.deps import DbSession, PlatformDep
from microcasa.flash import redirect_with_flash
from policy_matrix import forms, history, indicators, service
from policy_matrix.catalogue import THEMES, Status
from policy_matrix.errors import (
    EntryInvalid,
    MatrixConflict,
    MatrixError,
    MatrixNotFound,
    MatrixProblem,
)
from policy_matrix.values import check_cell
from policy_matrix.web import EDITORS, READERS, actor_of

MAINTAINERS = allow(Role.ADMIN, Role.RESEARCHER)  # add countries
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
CellViewDep = NamedDependency[service.CellView]
CHANGES_DAYS = 30
STATUS_CHOICES = tuple(Status)


def _day(text: str | None, problems: list[str], what: str) -> date | None:
    """A YYYY-MM-DD query value; a problem in words when it is not one or lies ahead."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"{what}: {MatrixError.DATE.value}")
        return None
    if day > utcnow().date():
        problems.append(f"{what}: {MatrixError.FUTURE_DATE.format(value=day.isoformat())}")
        return None
    return day


def _theme_words(theme: str) -> str:
    return theme.replace("_", " ").capitalize()


class PolicyPages(Controller):
    path = "/policy"
    include_in_schema = False

    @get("/", opt=READERS, sync_to_thread=True)
    def grid(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        theme: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
        as_of: FromQuery[str | None] = None,
    ) -> Template:
        """Dimensions × jurisdictions, filtered by theme and region, now or as of a date."""
        problems: list[str] = []
        day = _day(as_of, problems, "As of")
        if theme and theme not in THEMES:
            problems.append(f"There is no theme “{theme[:40]}”; use one of: {', '.join(THEMES)}.")
            theme = None
        if region and region not in service.REGIONS:
            problems.append(
                f"There is no region “{region[:40]}”; use one of: {', '.join(service.REGIONS)}."
            )
            region = None
        found = service.matrix(db, day)
        columns = [
            j for j in found.jurisdictions if j.is_reference or region is None or j.region == region
        ]
        groups = [
            (_theme_words(name), [d for d in found.catalogue.dimensions if d.theme == name])
            for name in THEMES
            if theme in (None, name)
        ]
        summary = indicators.summary(found)
        role = actor_of(request).role
        return Template(
            template_name="policy/grid.html",
            context={
                "title": "Policy matrix",
                "matrix": found,
                "columns": columns,
                "groups": [group for group in groups if group[1]],
                "indicators": [row for row in summary if region in (None, row.region)],
                "maturity": {row.jurisdiction: row.maturity for row in summary},
                "maturity_rule": indicators.MATURITY_RULE,
                "themes": [(name, _theme_words(name)) for name in THEMES],
                "regions": service.REGIONS,
                "theme": theme,
                "region": region,
                "as_of": day,
                "problems": problems,
                "maintainer": role in (Role.ADMIN, Role.RESEARCHER),
                "importer": role is not Role.ORGANISER,
            },
            status_code=HTTP_422_UNPROCESSABLE_ENTITY if problems else 200,
        )

    @get("/changes", opt=READERS, sync_to_thread=True)
    def changes(
        self,
        db: DbSession,
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Template:
        """Every change between two dates (by default the last 30 days), oldest first."""
        problems: list[str] = []
        last = _day(end, problems, "To") or utcnow().date()
        first = _day(start, problems, "From") or last - timedelta(days=CHANGES_DAYS)
        found: Sequence[history.Change] = ()
        try:
            found = history.changes_between(db, first, last)
        except MatrixProblem as exc:
            problems.append(exc.message)
        return Template(
            template_name="policy/changes.html",
            context={
                "title": "Changes to the policy matrix",
                "first": first,
                "last": last,
                "changes": found,
                "problems": problems,
            },
            status_code=HTTP_422_UNPROCESSABLE_ENTITY if problems else 200,
        )

    @get("/compare", opt=READERS, sync_to_thread=True)
    def compare(self, db: DbSession, c: FromQuery[list[str] | None] = None) -> Template:
        """Chosen jurisdictions side by side with the EU reference, then their indicators."""
        found = service.matrix(db)
        codes = [code for code in c or () if code.strip()] or [j.code for j in found.countries]
        problem = ""
        try:
            comparison = indicators.compare(found, codes)
        except MatrixNotFound as exc:
            problem = exc.message
            comparison = indicators.compare(found, [j.code for j in found.countries])
        return Template(
            template_name="policy/compare.html",
            context={
                "title": "Compare jurisdictions",
                "matrix": found,
                "comparison": comparison,
                "chosen": {j.code for j in comparison.jurisdictions},
                "reference": indicators.REFERENCE,
                "maturity_rule": indicators.MATURITY_RULE,
                "problem": problem,
            },
            status_code=HTTP_404_NOT_FOUND if problem else 200,
        )

    @get("/add-country", opt=MAINTAINERS, sync_to_thread=False)
    def add_country_page(self) -> Template:
        return _country_page({}, {})

    @post("/add-country", opt=MAINTAINERS, sync_to_thread=True, status_code=303)
    def add_country(
        self,
        request: Request[Any, Any, Any],
        data: FormData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template | Redirect:
        values = {key: str(data.get(key, "")) for key in ("code", "name", "region")}
        try:
            added = service.add_jurisdiction(
                db, actor_of(request), values["code"], values["name"], values["region"]
            )
        except EntryInvalid as exc:
            db.rollback()
            return _country_page(values, exc.errors, HTTP_422_UNPROCESSABLE_ENTITY)
        except MatrixConflict as exc:
            db.rollback()
            return _country_page(values, {"code": [exc.message]}, HTTP_409_CONFLICT)
        db.commit()
        message = f"{added.name} ({added.code}) is now a column of the matrix."
        return redirect_with_flash(platform, "/policy", message, "success")


def _cell_view(code: FromPath[str], dimension: FromPath[str], db: DbSession) -> service.CellView:
    """The cell the path names, with its history."""
    return service.cell_view(db, code, dimension)


def _ensure_editable(request: Request[Any, Any, Any], view: service.CellView) -> None:
    """Refuse a cell that the platform computes, or that this person may not edit."""
    if view.dimension.computed:
        raise MatrixProblem(MatrixError.COMPUTED, dimension=view.dimension.id)
    service.ensure_may_edit(actor_of(request), view.jurisdiction)


class CellPages(Controller):
    """The pages of one cell: what it holds, and its edit form."""

    path = "/policy/cell/{code:str}/{dimension:str}"
    include_in_schema = False
    dependencies = MappingProxyType({"view": Provide(_cell_view, sync_to_thread=True)})

    @get("/", opt=READERS, sync_to_thread=False)
    def cell(self, request: Request[Any, Any, Any], view: CellViewDep) -> Template:
        """One cell: its content field by field, its sources and its history."""
        return Template(
            template_name="policy/cell.html",
            context={
                "title": f"{view.jurisdiction.code} · {view.dimension.id} {view.dimension.label}",
                "view": view,
                "may_edit": not view.dimension.computed
                and service.may_edit(actor_of(request), view.jurisdiction),
            },
        )

    @get("/edit", opt=EDITORS, sync_to_thread=False)
    def edit(self, request: Request[Any, Any, Any], view: CellViewDep) -> Template:
        """The edit form of a cell, filled with what it holds now."""
        _ensure_editable(request, view)
        return _edit_page(view, forms.blank_form(view.dimension, view.cell, view.revision))

    @post("/", opt=EDITORS, sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        view: CellViewDep,
        data: FormData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template | Redirect:
        """Check and save a cell; the form comes back with every problem beside its input."""
        _ensure_editable(request, view)
        submitted = forms.read_form(view.dimension, data)
        if submitted.revision is None:
            db.rollback()
            form = forms.with_errors(submitted, {"revision": [REVISION_MISSING]})
            return _edit_page(view, form, status=HTTP_422_UNPROCESSABLE_ENTITY)
        try:
            change = service.update_cell(
                db,
                actor_of(request),
                view.jurisdiction.code,
                view.dimension.id,
                submitted.fields,
                submitted.reason,
                source="web",
                revision=submitted.revision,
            )
        except EntryInvalid as exc:
            db.rollback()
            errors = _with_field_errors(view, submitted, exc.errors)
            form = forms.with_errors(submitted, errors)
            return _edit_page(view, form, status=HTTP_422_UNPROCESSABLE_ENTITY)
        except MatrixConflict as exc:
            db.rollback()
            return _edit_page(view, submitted.form, conflict=exc.message, status=HTTP_409_CONFLICT)
        db.commit()
        where = f"/policy/cell/{view.jurisdiction.code}/{view.dimension.id}"
        if change is None:
            return redirect_with_flash(platform, where, MatrixError.NOTHING_CHANGED.value, "info")
        parts = ", ".join(change.changed_fields())
        message = f"Saved {view.jurisdiction.code}/{view.dimension.id} (changed: {parts})."
        return redirect_with_flash(platform, where, message, "success")


REVISION_MISSING = (
    "The form did not say which revision of the cell it changes; open the cell's edit page again."
)


def _with_field_errors(
    view: service.CellView, submitted: forms.Submitted, errors: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """A missing reason is reported before the fields are checked: report both at once."""
    if set(errors) != {"reason"}:
        return dict(errors)
    try:
        check_cell(view.dimension, submitted.fields)
    except EntryInvalid as exc:
        return {**exc.errors, **errors}
    return dict(errors)


def _edit_page(
    view: service.CellView,
    form: forms.CellForm,
    conflict: str = "",
    status: int = 200,
) -> Template:
    return Template(
        template_name="policy/edit.html",
        context={
            "title": f"Edit {view.jurisdiction.code} · {view.dimension.id} {view.dimension.label}",
            "view": view,
            "form": form,
            "summary": forms.summary(view.dimension, form),
            "conflict": conflict,
            "statuses": STATUS_CHOICES,
            "evidence_choices": forms.CHOICES,
            "defaults": forms.DEFAULTS,
            "evidence_labels": forms.EVIDENCE_LABELS,
        },
        status_code=status,
    )


def _country_page(
    values: Mapping[str, str], errors: Mapping[str, list[str]], status: int = 200
) -> Template:
    return Template(
        template_name="policy/add_country.html",
        context={
            "title": "Add a country",
            "form": values,
            "errors": {key: " ".join(messages) for key, messages in errors.items()},
            "regions": service.REGIONS,
        },
        status_code=status,
    )


route_handlers: list[ControllerRouterHandler] = [PolicyPages, CellPages]
