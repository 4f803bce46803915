"""``microcasa export country CC OUT.xlsx``: the summary of one country for a roundtable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

DEFAULT_FORM = "microcasa_hei"  # exports.country.DEFAULT_FORM (kept light: no pandas at start)


def _fail(message: str) -> NoReturn:
    click.echo(f"microcasa: error: {message}", err=True)
    sys.exit(1)


@click.command("country")
@click.argument("code", metavar="CC")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--form",
    "form_id",
    default=DEFAULT_FORM,
    show_default=True,
    metavar="FORM_ID",
    help="The questionnaire.",
)
@click.option(
    "--language",
    default=None,
    metavar="CODE",
    help="Language of the form's labels, e.g. ms [default: the form's first].",
)
def country(code: str, out: Path, form_id: str, language: str | None) -> None:
    """A country summary for a roundtable (.xlsx), small counts hidden."""
    from analysis.errors import AnalysisProblem
    from exports.country import CountryUnknown, country_summary
    from exports.country_workbook import country_workbook
    from microcasa.cli import open_database

    if out.suffix.lower() != ".xlsx":
        _fail(f"{out.name}: a country summary is written as .xlsx")
    # An unknown form is a SurveyProblem: the platform's command group words it in one line.
    with open_database() as database, database.session() as session:
        try:
            summary = country_summary(session, form_id, code, language=language)
        except CountryUnknown as exc:
            _fail(str(exc))
        except AnalysisProblem as exc:
            _fail(exc.message)
    try:
        country_workbook(summary).save(out)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(
        f"{summary.name} ({summary.code}): {summary.responses} responses, "
        f"{len(summary.comments)} quotable comments, written to {out}",
        err=True,
    )
