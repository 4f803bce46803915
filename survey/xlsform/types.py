"""The type column: XLSForm types, pyxform's aliases, and what this platform refuses."""

from __future__ import annotations

from dataclasses import dataclass

from survey.xlsform.errors import FormError, FormIssue, issue

SUPPORTED = (
    "text, integer, decimal, date, note, acknowledge, calculate, select_one LIST, "
    "select_multiple LIST, begin_group, end_group"
)
ALIASES = {
    "int": "integer",
    "trigger": "acknowledge",
    "begin group": "begin_group",
    "end group": "end_group",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select multiple": "select_multiple",
    "select_one": "select_one",
    "select_multiple": "select_multiple",
}
PLAIN = frozenset(
    {
        "text",
        "integer",
        "decimal",
        "date",
        "note",
        "acknowledge",
        "calculate",
        "begin_group",
        "end_group",
    }
)
# Known XLSForm types this platform does not take: refused by name, never skipped.
REFUSED = frozenset(
    {
        "begin repeat",
        "begin_repeat",
        "end repeat",
        "end_repeat",
        "begin loop",
        "end loop",
        "image",
        "audio",
        "video",
        "file",
        "background-audio",
        "barcode",
        "geopoint",
        "geotrace",
        "geoshape",
        "start-geopoint",
        "rank",
        "range",
        "time",
        "datetime",
        "hidden",
        "start",
        "end",
        "today",
        "deviceid",
        "phonenumber",
        "simserial",
        "subscriberid",
        "username",
        "email",
        "audit",
        "xml-external",
        "csv-external",
        "select_one_from_file",
        "select_multiple_from_file",
        "select one from file",
        "select multiple from file",
        "select_one_external",
    }
)


@dataclass(frozen=True)
class RowType:
    kind: str  # text, select_one, begin_group, …
    list_name: str | None = None


def parse_type(raw: str) -> RowType | FormIssue:
    """The row's type, or an issue (with a ``{row}`` placeholder left for the caller)."""
    text = " ".join(raw.split())
    lowered = text.lower()
    if lowered in PLAIN:
        return RowType(lowered)
    if lowered in ALIASES and ALIASES[lowered] in PLAIN:
        return RowType(ALIASES[lowered])
    # Before the selects: "select one from file x.csv" is refused, not unknown.
    if lowered in REFUSED or any(lowered.startswith(r + " ") for r in REFUSED):
        return _pending(FormError.UNSUPPORTED_TYPE, type=text)
    for prefix in sorted(ALIASES, key=len, reverse=True):
        target = ALIASES[prefix]
        if target not in ("select_one", "select_multiple"):
            continue
        if lowered == prefix:
            return _pending(FormError.SELECT_WITHOUT_LIST, type=target)
        if lowered.startswith(prefix + " "):
            rest = text[len(prefix) + 1 :].split()
            if len(rest) == 1:
                return RowType(target, rest[0])
            if len(rest) == 2 and rest[1].lower() == "or_other":  # pyxform's legacy "Other"
                return _pending(FormError.UNSUPPORTED_TYPE, type=text)
            return _pending(FormError.UNKNOWN_TYPE, type=text)
    return _pending(FormError.UNKNOWN_TYPE, type=text)


def _pending(error: FormError, **values: str) -> FormIssue:
    return issue(error, row="{row}", supported=SUPPORTED, **values)  # type: ignore[arg-type]
