"""``microcasa export whitepaper OUT.xlsx``: the white-paper workbook from the database.

The report is built as ``microcasa analyze`` builds it (its helpers are reused), then
written with the form versions' hashes, the policy matrix and the codebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from analysis.frame import Frame
    from exports.whitepaper import Codebook
    from policy_matrix.service import Matrix

# pandas, scipy and openpyxl load only when the command runs.


@click.command("whitepaper")
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--form",
    "form_id",
    metavar="FORM_ID",
    help="The questionnaire [default: the only one in the database].",
)
@click.option("--by", default="country", show_default=True, help="The columns of every table.")
@click.option("--filter", "expression", default=None, help='Rows to count, e.g. "a2=public".')
@click.option("--language", default="en", show_default=True, help="Language of the labels.")
@click.option(
    "--weights",
    "population_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Weight by HEI population counts (.csv or .xlsx: country, institution_type, count).",
)
@click.option(
    "--pooling",
    type=click.Choice(["population", "equal"]),
    help="How the Total pools weighted countries, with --weights [default: population].",
)
@click.option(
    "--organisers",
    is_flag=True,
    help="The organisers' copy: small counts hidden, as organisers see them on the pages.",
)
def whitepaper(
    output: Path,
    form_id: str | None,
    by: str,
    expression: str | None,
    language: str,
    population_file: Path | None,
    pooling: str | None,
    organisers: bool,
) -> None:
    """The white paper: every table with its chart, the method notes, matrix and codebook."""
    from analysis.cli import _check_by, _fail, _load, _weights
    from analysis.filters import FilterInvalid
    from analysis.report import build_report
    from analysis.service import suppressed
    from exports.whitepaper import write_whitepaper

    if pooling is not None and population_file is None:
        _fail("--pooling goes with --weights FILE")
    form_id = form_id or _only_form()
    frame, form, synthetic = _load(form_id, None, None, language)
    _check_by(frame, by)
    weights = None
    if population_file is not None:
        weights = _weights(frame, population_file, pooling or "population")
    try:
        report = build_report(
            frame,
            by=by,
            language=language,
            filter=expression,
            form=form,
            weights=weights,
            synthetic=synthetic,
        )
    except FilterInvalid as exc:
        _fail(f"--filter: {exc.message}")
    if organisers:
        report = suppressed(report)
    versions, current, codebook = _from_database(form_id, frame)
    try:
        write_whitepaper(report, str(output), matrix=current, codebook=codebook, versions=versions)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    copy = "organisers' copy, small counts hidden" if organisers else "every count shown"
    click.echo(
        f"{output}: {len(report.tables)} tables of {report.provenance.n['Total']} responses "
        f"by {by} ({copy})",
        err=True,
    )


def _only_form() -> str:
    """The form to use without --form: the database's only analysable questionnaire."""
    from analysis.cli import _fail
    from analysis.service import analysable_forms
    from microcasa.cli import open_database

    with open_database() as database, database.session() as session:
        forms = [found.form_id for found in analysable_forms(session) if found.complete]
    if len(forms) != 1:
        found = ", ".join(forms) if forms else "none with complete responses"
        _fail(f"give --form FORM_ID (questionnaires: {found})")
    return forms[0]


def _from_database(
    form_id: str, frame: Frame
) -> tuple[list[tuple[str, str]], Matrix | None, Codebook]:
    """The form versions with their hashes, the policy matrix (None when it is empty), and
    the codebook table of the frame."""
    from exports.sources import whitepaper_inputs
    from microcasa.cli import open_database

    with open_database() as database, database.session() as session:
        return whitepaper_inputs(session, form_id, frame)
