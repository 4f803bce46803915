"""Shell pages: the front page, the staff dashboard, and the health check."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import public, staff
from microcasa.db import DatabaseUnavailable
from microcasa.deps import PlatformDep


@get("/", opt=public(), include_in_schema=False, name="home", sync_to_thread=False)
def home(request: Request[Any, Any, Any]) -> Template | Redirect:
    if current_identity(request) is not None:
        return Redirect(path="/dashboard")
    return Template(template_name="home.html", context={"title": "microcasa"})


@get("/dashboard", opt=staff(), include_in_schema=False, name="dashboard", sync_to_thread=False)
def dashboard() -> Template:
    return Template(template_name="dashboard.html", context={"title": "Dashboard"})


@get("/healthz", opt=public(), media_type=MediaType.JSON, sync_to_thread=True, tags=["system"])
def healthz(platform: PlatformDep) -> Response[dict[str, str]]:
    """Whether the platform and its database answer (200) or not (503)."""
    try:
        platform.db.ping()
    except DatabaseUnavailable:
        return Response(
            {"status": "unavailable", "database": "unreachable"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return Response({"status": "ok", "database": "ok"}, status_code=HTTP_200_OK)


route_handlers = [home, dashboard, healthz]
