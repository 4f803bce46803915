"""The web application: ``create_app(settings)`` composes every area."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler
from sqlmodel import Session

import analysis
import exports
import microcasa
import policy_matrix
import survey
from analysis import routes as analysis_routes
from exports import download_routes as exports_download_routes
from exports import routes as exports_routes
from microcasa import routes as shell_routes
from microcasa.auth import api as auth_api
from microcasa.auth import routes as auth_routes
from microcasa.auth.guards import access_guard
from microcasa.auth.roles import Role, public
from microcasa.errors import handle_exception
from microcasa.middleware import (
    FlashMiddleware,
    IdentityMiddleware,
    PlatformCSRFMiddleware,
    add_security_headers,
)
from microcasa.platform import Platform
from microcasa.settings import Settings, load_settings
from policy_matrix import api as policy_api
from policy_matrix import routes as policy_routes
from policy_matrix import workbook_routes as policy_workbook_routes
from survey import api as survey_api
from survey import fieldwork_routes as survey_fieldwork_routes
from survey import privacy_routes as survey_privacy_routes
from survey import respondent_routes as survey_respondent_routes
from survey import routes as survey_routes

PACKAGE_DIR = Path(microcasa.__file__).parent
CSRF_COOKIE = "mc_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Each area contributes its route handlers and its templates folder here.
AREA_ROUTES: Sequence[ControllerRouterHandler] = (
    *shell_routes.route_handlers,
    *auth_routes.route_handlers,
    *auth_api.route_handlers,
    *survey_routes.route_handlers,
    *survey_respondent_routes.route_handlers,
    *survey_fieldwork_routes.route_handlers,
    *survey_privacy_routes.route_handlers,
    *survey_api.route_handlers,
    *policy_routes.route_handlers,
    *policy_workbook_routes.route_handlers,
    *policy_api.route_handlers,
    *analysis_routes.route_handlers,
    *exports_routes.route_handlers,
    *exports_download_routes.route_handlers,
)
TEMPLATE_DIRS: Sequence[Path] = (
    PACKAGE_DIR / "templates",
    Path(survey.__file__).parent / "templates",
    Path(policy_matrix.__file__).parent / "templates",
    Path(analysis.__file__).parent / "templates",
    Path(exports.__file__).parent / "templates",
)


async def _provide_db_session(
    state: State, request: Request[Any, Any, Any]
) -> AsyncIterator[Session]:
    platform: Platform = state.platform
    session = platform.db.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    finally:
        # Closed here, in the event loop, never queued on the handlers' threads: under
        # load those threads wait for a pooled connection, and a close waiting behind
        # them would keep its connection from them (a deadlock until the pool times out).
        session.close()


def _provide_platform(state: State) -> Platform:
    platform: Platform = state.platform
    return platform


def _template_engine() -> JinjaTemplateEngine:
    # Our own Environment, so autoescaping is stated here rather than assumed.
    environment = Environment(
        loader=FileSystemLoader([str(path) for path in TEMPLATE_DIRS]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["Role"] = Role
    environment.globals["version"] = microcasa.__version__
    environment.globals["flashes"] = _take_flashes
    return JinjaTemplateEngine.from_environment(environment)


def _take_flashes(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    state = request.scope.get("state", {})
    state["flashes_shown"] = True
    messages: list[tuple[str, str]] = state.get("flashes", [])
    return messages


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the ASGI app for these settings (read from the environment when omitted)."""
    settings = settings or load_settings()
    platform = Platform.build(settings)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            platform.db.dispose()

    csrf = CSRFConfig(
        secret=platform.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        cookie_httponly=False,
    )
    static = create_static_files_router(
        path="/static",
        directories=[PACKAGE_DIR / "static"],
        opt=public(),
        include_in_schema=False,
        name="static",
    )
    openapi_router = Router(
        path="/schema", route_handlers=[], opt=public(), include_in_schema=False
    )
    logging.getLogger("microcasa").setLevel(settings.log_level.upper())
    return Litestar(
        route_handlers=[*AREA_ROUTES, static],
        guards=[access_guard],
        before_send=[add_security_headers],
        middleware=[
            FlashMiddleware,
            DefineMiddleware(PlatformCSRFMiddleware, config=csrf),
            IdentityMiddleware,
        ],
        dependencies={
            "db": Provide(_provide_db_session),
            "platform": Provide(_provide_platform, sync_to_thread=False),
        },
        exception_handlers={Exception: handle_exception},
        template_config=TemplateConfig(instance=_template_engine()),
        openapi_config=OpenAPIConfig(
            title="microcasa API",
            version=microcasa.__version__,
            description=(
                "JSON API of the microcasa platform. Scripts authenticate with "
                "`Authorization: Bearer <api token>`; errors are problem details."
            ),
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer"),
                }
            ),
            security=[{"BearerToken": []}],
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
            openapi_router=openapi_router,
        ),
        state=State({"platform": platform}),
        lifespan=[lifespan],
        request_max_body_size=settings.upload_max_bytes + 64 * 1024,
        debug=False,
    )


def app_from_environment() -> Litestar:
    """Uvicorn factory for ``microcasa serve`` (each worker builds its own app)."""
    return create_app(load_settings())
