"""docs/deployment.md names only settings and commands that exist, and its examples fit
the platform: the settings file loads, nginx lets through what the platform accepts."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from microcasa.app import create_app
from microcasa.cli import main
from microcasa.settings import Settings, load_settings
from tests.conftest import TEST_SECRET

GUIDE_PATH = Path(__file__).parents[1] / "docs" / "deployment.md"
GUIDE = GUIDE_PATH.read_text(encoding="utf-8")
SETTING = re.compile(r"\bMICROCASA_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
SUBCOMMAND = re.compile(r"\bmicrocasa(?:-admin)? (db|users|form|export|policy) ([a-z]+)")
SERVE = re.compile(r"\bmicrocasa serve((?: --?[a-z][a-z-]*(?: [\w.]+)?)*)")


def _block_after(marker: str) -> str:
    """The fenced block that follows a line naming ``marker``."""
    found = re.search(re.escape(marker) + r".*?\n```\w*\n(.*?)\n```", GUIDE, flags=re.DOTALL)
    assert found, f"no example after {marker}"
    return found.group(1)


def test_every_setting_named_exists() -> None:
    settings = {f"MICROCASA_{name.upper()}" for name in Settings.model_fields}
    named = set(SETTING.findall(GUIDE))
    assert named, "the guide names settings"
    assert named - settings == set(), "settings the platform does not have"
    # What an operator of several workers needs is all there.
    for needed in (
        "DATABASE_URL",
        "SECRET_KEY",
        "FORWARDED_ALLOW_IPS",
        "COOKIE_SECURE",
        "REDIS_URL",
        "EXPORT_DIR",
        "DB_POOL_SIZE",
        "UPLOAD_MAX_BYTES",
        "ENV",
    ):
        assert f"MICROCASA_{needed}" in named, needed


def test_every_command_named_exists() -> None:
    named = SUBCOMMAND.findall(GUIDE)
    assert ("db", "backup") in named and ("db", "restore") in named
    for group_name, command in named:
        group = main.commands[group_name]
        assert isinstance(group, click.Group)
        assert command in group.commands, f"microcasa {group_name} {command}"
    serve = main.commands["serve"]
    known = {option for param in serve.params for option in getattr(param, "opts", [])}
    used = {flag for options in SERVE.findall(GUIDE) for flag in re.findall(r"--?[a-z-]+", options)}
    assert "--workers" in used
    assert used <= known, f"options serve does not have: {used - known}"


def test_the_example_settings_file_loads_in_production() -> None:
    lines = [line for line in _block_after("`/etc/microcasa/microcasa.env`:").splitlines() if line]
    values = dict(line.split("=", 1) for line in lines)
    assert values["MICROCASA_ENV"] == "production"
    settings = load_settings(
        **{name.removeprefix("MICROCASA_").lower(): v for name, v in values.items()}
    )
    assert settings.secure_cookies, "production marks cookies Secure"
    assert settings.forwarded_allow_ips == "127.0.0.1"
    assert not settings.is_sqlite


def test_nginx_lets_through_every_body_the_platform_accepts(tmp_path: Path) -> None:
    nginx = _block_after("`/etc/nginx/sites-available/microcasa`")
    (limit,) = re.findall(r"client_max_body_size (\d+)m;", nginx)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", secret_key=TEST_SECRET)
    accepted = create_app(settings).request_max_body_size
    assert isinstance(accepted, int)
    assert accepted <= int(limit) * 1024 * 1024, "the platform, not nginx, answers 413"
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "Host"):
        assert f"proxy_set_header {header} " in nginx
    assert "return 301 https://" in nginx


@pytest.mark.parametrize("anchor", sorted(set(re.findall(r"\]\(#([a-z0-9-]+)\)", GUIDE))))
def test_every_link_within_the_guide_leads_to_a_heading(anchor: str) -> None:
    headings = re.findall(r"^#{2,4} (.+)$", GUIDE, flags=re.MULTILINE)
    slugs = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}
    assert anchor in slugs
