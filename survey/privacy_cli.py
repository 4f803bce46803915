"""``microcasa fieldwork …``: the retention purge and access-request exports (docs/privacy.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

ACTOR = "command line"


@click.group()
def fieldwork() -> None:
    """Respondents' contact data: retention purge and access requests."""


@fieldwork.command("purge-contacts")
@click.option("--form", "form_id", required=True, help="The questionnaire's form_id.")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only invitations created before this day (UTC); allowed while still open.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be cleared; change nothing.")
@click.option("--reason", required=True, help="Why, for the history (e.g. the retention rule).")
def purge_contacts(form_id: str, before: datetime | None, dry_run: bool, reason: str) -> None:
    """Clear the contact e-mails and names of a questionnaire's invitations."""
    from microcasa.cli import open_database
    from survey import privacy, versions

    cutoff = before.replace(tzinfo=UTC) if before is not None else None
    with open_database() as database, database.transaction() as session:
        questionnaire = versions.get_questionnaire(session, form_id)
        done = privacy.purge_contacts(
            session, questionnaire, reason=reason, actor=ACTOR, before=cutoff, dry_run=dry_run
        )
    verb = "would clear" if done.dry_run else "cleared"
    scope = f" created before {cutoff.date()}" if cutoff else ""
    click.echo(
        f"{done.form_id}: {done.invitations} invitation(s){scope}; contact data {verb} "
        f"on {done.cleared}, {done.without_contacts} already without"
    )


@fieldwork.command("export-respondent")
@click.option("--invitation", "invitation_id", type=int, default=None, help="An invitation id.")
@click.option("--response", "response_id", type=int, default=None, help="A response id.")
@click.option("--email", default=None, help="A contact e-mail address (every invitation).")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def export_respondent(
    invitation_id: int | None, response_id: int | None, email: str | None, out: Path
) -> None:
    """Write everything held about one respondent as JSON, for an access request."""
    from microcasa.cli import open_database
    from survey import privacy

    given = [v for v in (invitation_id, response_id, email) if v is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --invitation, --response or --email")
    with open_database() as database, database.session() as session:
        found, lone = privacy.find_invitations(
            session, invitation_id=invitation_id, response_id=response_id, email=email
        )
        record = privacy.respondent_record(session, found, lone)
    text = json.dumps(record, ensure_ascii=False, indent=2)
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    responses = sum(len(item["responses"]) for item in record["records"])
    click.echo(f"wrote {out}: {len(record['records'])} record(s), {responses} response(s)")
