"""``microcasa analyze``: the report of a questionnaire's responses, as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from analysis.frame import Frame
    from analysis.weights import Weights
    from survey.xlsform import Form

# pandas and scipy load only when the command runs: every other command starts faster.


def _fail(message: str) -> NoReturn:
    click.echo(f"microcasa: error: {message}", err=True)
    sys.exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")


@click.command()
@click.option("--form", "form_id", metavar="FORM_ID", help="A questionnaire in the database.")
@click.option(
    "--xlsform",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A questionnaire file (.xlsx, or markdown tables in .md), with --data.",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Its answers collected elsewhere (.csv or .xlsx, a header row of question names).",
)
@click.option("--by", default="country", show_default=True, help="The columns of every table.")
@click.option("--filter", "expression", default=None, help='Rows to count, e.g. "a2=public".')
@click.option("--language", default="en", show_default=True, help="Language of the labels.")
@click.option("--seed", type=int, help="Seed of Monte Carlo p-values [default: the report's own].")
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
    "--json",
    "output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help='Where to write the report ("-" for standard output).',
)
def analyze(
    form_id: str | None,
    xlsform: Path | None,
    data: Path | None,
    by: str,
    expression: str | None,
    language: str,
    seed: int | None,
    population_file: Path | None,
    pooling: str | None,
    output: Path,
) -> None:
    """Comparative tables of every question, with method notes and provenance, as JSON."""
    from analysis.filters import FilterInvalid
    from analysis.report import build_report
    from analysis.report_json import report_to_json
    from analysis.tables import SEED

    if (form_id is None) == (xlsform is None and data is None):
        _fail("give either --form FORM_ID or --xlsform FILE --data FILE")
    if form_id is None and (xlsform is None or data is None):
        _fail("--xlsform and --data go together")
    frame, form, synthetic = _load(form_id, xlsform, data, language)
    if pooling is not None and population_file is None:
        _fail("--pooling goes with --weights FILE")
    pooling = pooling or "population"
    _check_by(frame, by)
    weights = None if population_file is None else _weights(frame, population_file, pooling)
    try:
        report = build_report(
            frame,
            by=by,
            language=language,
            seed=SEED if seed is None else seed,
            filter=expression,
            form=form,
            weights=weights,
            synthetic=synthetic,
        )
    except FilterInvalid as exc:
        _fail(f"--filter: {exc.message}")
    text = json.dumps(report_to_json(report), ensure_ascii=False, indent=2, allow_nan=False)
    if str(output) == "-":
        click.echo(text)
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    count = len(frame.rejected)
    rejected = (
        f", {count} row{'' if count == 1 else 's'} rejected" if frame.source.kind == "file" else ""
    )
    weighted = "" if weights is None else f", weighted ({pooling} pooling)"
    click.echo(
        f"{len(report.tables)} tables of {report.provenance.n['Total']} responses "
        f"by {by}{rejected}{weighted}",
        err=True,
    )


def _load(
    form_id: str | None, xlsform: Path | None, data: Path | None, language: str
) -> tuple[Frame, Form, bool]:
    """The frame, the newest form, and whether any response counted is synthetic demo data."""
    from analysis.external import DataRefused, load_external
    from analysis.frame import load_responses
    from survey.xlsform import FormInvalid

    if form_id is not None:
        from analysis.service import fingerprint
        from microcasa.cli import open_database
        from survey.versions import form_of, get_questionnaire, get_version

        with open_database() as database, database.session() as session:
            frame = load_responses(session, form_id)
            newest = form_of(get_version(session, form_id, frame.versions[-1]))
            found = fingerprint(session, get_questionnaire(session, form_id))
        return frame, newest, found.synthetic > 0
    assert xlsform is not None and data is not None
    from survey.versions import read_source

    source = _read(xlsform)
    try:
        form = read_source(source, xlsform.name).form
        frame = load_external(source, xlsform.name, _read(data), data.name, language=language)
    except FormInvalid as exc:
        first = exc.errors[0].message if exc.errors else str(exc)
        _fail(f"{xlsform.name}: {len(exc.errors)} error(s) in the questionnaire; first: {first}")
    except DataRefused as exc:
        _fail(f"{data.name}: {exc.message}")
    return frame, form, False


def _weights(frame: Frame, path: Path, pooling: str) -> Weights:
    """Post-stratification weights from a population file; its errors one per line, exit 1."""
    from analysis.population import PopulationInvalid, read_population
    from analysis.weights import POOLINGS, post_stratify

    try:
        population = read_population(_read(path), path.name)
    except PopulationInvalid as exc:
        for error in exc.errors:
            click.echo(f"microcasa: error: --weights {path.name}: {error}", err=True)
        sys.exit(1)
    chosen = next(p for p in POOLINGS if p == pooling)
    return post_stratify(
        frame.data,
        population,
        pooling=chosen,
        country=frame.meta["country"],
        institution_type=frame.meta["institution_type"],
    )


def _check_by(frame: Frame, by: str) -> None:
    from analysis.variables import Kind

    if by in {variable.name for variable in frame.variables}:
        variable = frame.variable(by)
        if variable.kind not in (Kind.CATEGORICAL, Kind.LIKERT):
            _fail(
                f"--by {by}: tables can be split by a single-choice question; it is {variable.type}"
            )
    elif by not in frame.meta:
        _fail(f"--by {by}: no such question or column about the response")
