"""``microcasa export data`` and ``microcasa export codebook``: files for SPSS, Stata, R, Excel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from sqlmodel import Session

    from analysis.frame import Frame
    from survey.xlsform.model import Form

BUNDLED_FORM_ID = "microcasa_hei"
DATA_FORMATS = ("csv", "xlsx", "sav", "dta")  # exports.data.FORMATS, without loading pandas


def _fail(message: str) -> NoReturn:
    click.echo(f"microcasa: error: {message}", err=True)
    sys.exit(1)


_form_option = click.option(
    "--form",
    "form_id",
    metavar="FORM_ID",
    help=f"The questionnaire [default: {BUNDLED_FORM_ID}, or the only one there is].",
)


@click.command("data")
@click.option(
    "--format", "file_format", required=True, type=click.Choice(DATA_FORMATS), help="File type."
)
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_form_option
@click.option("--labels", is_flag=True, help="CSV/XLSX: choice labels instead of choice names.")
@click.option("--language", default="", help="Language of the labels [default: the form's].")
@click.option("--bom", is_flag=True, help="CSV: start with a byte-order mark, for Excel.")
@click.option("--partial", is_flag=True, help="Include unfinished responses (status column).")
def data(
    file_format: str,
    out: Path,
    form_id: str | None,
    labels: bool,
    language: str,
    bom: bool,
    partial: bool,
) -> None:
    """The responses as a data file, one row per response, pseudonymous, no contact data."""
    from exports.data import ContactData, write_data
    from microcasa.cli import open_database

    with open_database() as database, database.session() as session:
        chosen = _form_id(session, form_id)
        frame, forms = _frame(session, chosen, partial)
        secret = database.settings.resolved_secret_key()
    language = language or _default_language(forms)
    if not out.parent.is_dir():
        _fail(f"cannot write {out}: no folder {out.parent}")
    with click.progressbar(length=len(frame.data), label=out.name, file=sys.stderr) as bar:

        def advance(written: int) -> None:
            bar.update(written - bar.pos)

        try:
            rows = write_data(
                frame,
                out,
                file_format,
                secret=secret,
                labels=labels,
                language=language,
                bom=bom,
                progress=advance,
            )
        except ContactData as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"{rows} responses to {chosen} written to {out}", err=True)


@click.command("codebook")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_form_option
@click.option("--partial", is_flag=True, help="Describe the files written with --partial.")
def codebook(out: Path, form_id: str | None, partial: bool) -> None:
    """The codebook (.xlsx or .csv): every column, its labels, choices, relevance, versions."""
    from exports.codebook import codebook as entries_of
    from exports.codebook import languages_of, write_codebook
    from microcasa.cli import open_database

    if out.suffix.lower() not in (".xlsx", ".csv"):
        _fail(f"{out.name}: the codebook is written as .xlsx or .csv")
    if not out.parent.is_dir():
        _fail(f"cannot write {out}: no folder {out.parent}")
    with open_database() as database, database.session() as session:
        chosen = _form_id(session, form_id)
        frame, forms = _frame(session, chosen, partial)
    entries = entries_of(frame, forms)
    try:
        write_codebook(entries, languages_of(forms), out)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"{len(entries)} columns of {chosen} described in {out}", err=True)


def _form_id(session: Session, form_id: str | None) -> str:
    """The questionnaire asked for, else the bundled one, else the only one."""
    from survey.versions import list_questionnaires

    if form_id is not None:
        return form_id
    found = [questionnaire.form_id for questionnaire, _versions in list_questionnaires(session)]
    if BUNDLED_FORM_ID in found or not found:
        return BUNDLED_FORM_ID
    if len(found) == 1:
        return found[0]
    _fail(f"--form is needed: there are {len(found)} questionnaires ({', '.join(found[:10])})")


def _frame(
    session: Session, form_id: str, partial: bool
) -> tuple[Frame, tuple[tuple[str, Form], ...]]:
    from analysis.frame import load_responses
    from exports.codebook import forms_of

    # An unknown form is a SurveyProblem: the platform's command group words it in one line.
    frame = load_responses(session, form_id, include_partial=partial)
    return frame, forms_of(session, form_id, frame.versions)


def _default_language(forms: tuple[tuple[str, Form], ...]) -> str:
    from exports.codebook import languages_of

    languages = languages_of(forms)
    return languages[0] if languages else ""
