"""``microcasa form …``: check and publish questionnaires from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from survey.xlsform import Form, FormInvalid
from survey.xlsform.definition import to_definition
from survey.xlsform.model import text_in
from survey.xlsform.sheets import read_markdown, write_workbook


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


@click.group()
def form() -> None:
    """Questionnaires: check, publish, convert."""


@form.command("inspect")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the normalised definition as JSON.")
@click.option(
    "--lang", default=None, help="Language of the outline (a code such as ms, or a label)."
)
def inspect(file: Path, as_json: bool, lang: str | None) -> None:
    """Check an XLSForm (.xlsx, or markdown tables in .md); exit 1 when it has errors."""
    from survey.versions import read_source

    try:
        result = read_source(_read(file), file.name)
    except FormInvalid as exc:
        for item in exc.issues:
            click.echo(f"{item.severity.value}: {item.message}", err=True)
        click.echo(
            f"{file.name}: {len(exc.errors)} error(s); the questionnaire cannot be used.", err=True
        )
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning.message}", err=True)
    if as_json:
        click.echo(json.dumps(to_definition(result.form), ensure_ascii=False, indent=2))
        return
    click.echo(outline(result.form, lang))


def outline(form: Form, language: str | None = None) -> str:
    """A readable outline: pages, questions, types and logic, in one language."""
    lang = language or form.default_language
    lines = [
        f"{form.title}",
        f"form_id {form.form_id}, version {form.version or '(none)'}",
        f"languages: {', '.join(form.languages)} (default {form.default_language})",
        f"{len(form.pages)} pages, "
        f"{sum(1 for q in form.questions if q.is_answerable)} questions, "
        f"{len(form.choices)} choice lists",
    ]
    questions = {q.name: q for q in form.questions}
    for number, page in enumerate(form.pages, start=1):
        if page.group:
            group = form.group(page.group)
            title = text_in(group.labels, lang, form.default_language) or page.name
            lines.append(f"\npage {number}: {title} [{page.name}]")
            if group.relevant:
                lines.append(f"  shown if {group.relevant}")
        else:
            lines.append(f"\npage {number} [{page.name}]")
        for name in page.questions:
            question = questions[name]
            kind = question.type + (f" {question.list_name}" if question.list_name else "")
            label = text_in(question.labels, lang, form.default_language)
            flags = []
            if question.required:
                flags.append(
                    "required"
                    if question.required == "true"
                    else f"required if {question.required}"
                )
            if question.relevant:
                flags.append(f"shown if {question.relevant}")
            if question.constraint:
                flags.append(f"valid if {question.constraint}")
            if question.choice_filter:
                flags.append(f"choices where {question.choice_filter}")
            if question.calculation:
                flags.append(f"= {question.calculation}")
            lines.append(f"  {name} ({kind}) {label}".rstrip())
            lines.extend(f"      {flag}" for flag in flags)
    calculations = [q for q in form.questions if q.type == "calculate" and not q.groups]
    for question in calculations:
        lines.append(f"\ncalculate {question.name} = {question.calculation}")
    return "\n".join(lines)


@form.command("publish")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--open", "open_now", is_flag=True, help="Open the version for responses at once.")
def publish(file: Path, open_now: bool) -> None:
    """Publish a new version of a questionnaire (the same file again changes nothing)."""
    from microcasa.cli import open_database
    from survey.models import VersionStatus
    from survey.versions import publish as publish_version

    data = _read(file)
    status = VersionStatus.OPEN if open_now else VersionStatus.DRAFT
    with open_database() as database, database.transaction() as session:
        try:
            published = publish_version(
                session, data, file.name, publisher="command line", status=status
            )
        except FormInvalid as exc:
            for item in exc.issues:
                click.echo(f"{item.severity.value}: {item.message}", err=True)
            sys.exit(1)
        version = published.version
        word = "published" if published.created else "already published (unchanged)"
        click.echo(f"{version.title}: version {version.version} {word}, status {version.status}")


@form.command("convert")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
def convert(source: Path, target: Path) -> None:
    """Write a questionnaire kept as markdown tables (.md) as an XLSForm workbook (.xlsx)."""
    if source.suffix.lower() != ".md" or target.suffix.lower() != ".xlsx":
        raise click.ClickException("convert reads a .md questionnaire and writes an .xlsx")
    sheets = read_markdown(_read(source).decode("utf-8"))
    target.write_bytes(write_workbook(sheets))
    click.echo(f"wrote {target}")
