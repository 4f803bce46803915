"""The codebook: what every column of the data files means, in every language of the form.

One :class:`CodebookEntry` per column of the data files, in their order: the
pseudonymous ``respondent``, the meta columns, then each question (a
select_multiple as its raw answer and one 0/1 column per choice), then ``status``
when partial responses are included.

Numeric codes (what .sav and .dta hold for a choice, see :func:`choice_values`):
a Likert item whose valid choices are integers keeps its scale points (as the
analysis scores them); any other select_one numbers its valid choices 1..k in
choice order. User-missing choices ("don't know", …) follow the valid ones, with
the next numbers (max + 1, max + 2, …), so they are always one contiguous range
that SPSS declares user-missing.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from analysis.frame import META_COLUMNS, Frame
from analysis.variables import Kind, Variable, VariableChoice, option_column
from microcasa.spreadsheet import put_cell, safe_csv_cell
from survey.xlsform.model import Form, Question, Texts, language_code, text_in

if TYPE_CHECKING:
    from sqlmodel import Session

RESPONDENT = "respondent"  # the pseudonymous id column of every data file
STATUS = "status"  # complete / partial, only when partial responses are included
META_KIND = "meta"
OPTION_KIND = "option"

_META_LABELS: Mapping[str, str] = MappingProxyType(
    {
        RESPONDENT: "Respondent (pseudonym; not the platform's id)",
        "country": "Country (ISO 3166-1 alpha-2)",
        "institution_type": "Type of institution",
        "language": "Language the questionnaire was answered in",
        "form_version": "Questionnaire version answered",
        "completed_at": "Completed at (UTC)",
        "synthetic": "Synthetic demo response, made up by the platform (1), or a real one (0)",
        STATUS: "Response status (complete or partial)",
    }
)
_META_MEASURES: Mapping[str, str] = MappingProxyType(
    {"form_version": "ordinal", "completed_at": "scale"}
)
_MEASURES: Mapping[str, str] = MappingProxyType(
    {
        Kind.LIKERT.value: "ordinal",
        Kind.NUMERIC.value: "scale",
        Kind.DATE.value: "scale",
    }
)
_INTEGER = re.compile(r"^-?[0-9]+$")
_NAME_LIMIT = 32  # Stata's limit (SPSS allows 64)
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
# Words Stata or SPSS do not take as a variable name.
_RESERVED = frozenset(
    [
        "all",
        "and",
        "by",
        "eq",
        "ge",
        "gt",
        "le",
        "lt",
        "ne",
        "not",
        "or",
        "to",
        "with",
        "_all",
        "_b",
        "_coef",
        "_cons",
        "_n",
        "_pi",
        "_pred",
        "_rc",
        "_se",
        "_skip",
        "byte",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "str",
        "strl",
        "using",
    ]
)


@dataclass(frozen=True)
class CodebookChoice:
    name: str  # the choice name (the code in CSV "codes" files)
    value: int | None  # the numeric code in .sav/.dta; None for non-choice questions
    labels: Mapping[str, str]  # language code -> label
    missing: bool  # user-missing ("don't know", …)


@dataclass(frozen=True)
class CodebookEntry:
    column: str  # the column name in the data files (meta columns too)
    question: str  # the question name ("" for meta columns)
    kind: str  # categorical | likert | multiple | option | numeric | text | date | meta | other
    type: str  # the XLSForm type (select_one list, integer, …) or "meta"
    labels: Mapping[str, str]  # language code -> label
    choices: tuple[CodebookChoice, ...]
    relevance: str  # the XLSForm relevant expression, "" if none
    constraint: str
    versions: tuple[str, ...]  # form versions that ask it
    measure: str  # nominal | ordinal | scale (SPSS measure level)

    def label(self, language: str) -> str:
        """The label in a language (code), else the first one there is, else the column name."""
        return text_in(self.labels, language, "") or self.column


def choice_values(variable: Variable) -> tuple[int, ...]:
    """The numeric code of each of a select_one's choices, in the variable's choice order."""
    valid = [choice.name for choice in variable.choices if not choice.missing]
    if variable.kind is Kind.LIKERT and valid and all(_INTEGER.match(name) for name in valid):
        points = [int(name) for name in valid]
    else:
        points = list(range(1, len(valid) + 1))
    after = max(points, default=0)
    missing = sum(1 for choice in variable.choices if choice.missing)
    return (*points, *range(after + 1, after + 1 + missing))


def forms_of(
    session: Session, form_id: str, versions: Sequence[str]
) -> tuple[tuple[str, Form], ...]:
    """The (version, Form) pairs of a frame's versions, oldest first, from the database."""
    from survey.versions import form_of, get_questionnaire, versions_of

    stored = {v.version: v for v in versions_of(session, get_questionnaire(session, form_id))}
    return tuple((version, form_of(stored[version])) for version in versions if version in stored)


def codebook(frame: Frame, forms: Sequence[tuple[str, Form]]) -> tuple[CodebookEntry, ...]:
    """One entry per column of the data files of ``frame``, in their order."""
    present = set(frame.data.columns)
    entries = [_meta(RESPONDENT, respondent_column(frame))]
    entries += [_meta(m, frame.meta[m]) for m in META_COLUMNS]
    for variable in frame.variables:
        if variable.name not in present:
            continue
        question = _newest(forms, variable.name)
        entries.append(_question_entry(variable, question, forms))
        for choice in variable.choices if variable.kind is Kind.MULTIPLE else ():
            column = option_column(variable.name, choice.name)
            if column in present:
                entries.append(_option_entry(variable, choice))
    if STATUS in present and STATUS not in {v.name for v in frame.variables}:
        entries.append(_meta(STATUS, STATUS))
    return tuple(entries)


def respondent_column(frame: Frame) -> str:
    """The pseudonym column's name: ``respondent``, or ``_respondent`` if a question has it."""
    taken = set(frame.data.columns)
    return f"_{RESPONDENT}" if RESPONDENT in taken else RESPONDENT


def languages_of(forms: Sequence[tuple[str, Form]]) -> tuple[str, ...]:
    """Language codes of the forms, the newest form's default language first."""
    codes: list[str] = []
    for _version, form in reversed(forms):
        for language in (form.default_language, *form.languages):
            code = language_code(language) if language else ""
            if code and code not in codes:
                codes.append(code)
    return tuple(codes)


def _by_code(texts: Texts) -> Mapping[str, str]:
    """Texts keyed by language code ("English (en)" -> "en")."""
    return MappingProxyType({language_code(key): value for key, value in texts.items() if value})


def _meta(name: str, column: str) -> CodebookEntry:
    return CodebookEntry(
        column=column,
        question="",
        kind=META_KIND,
        type=META_KIND,
        labels=MappingProxyType({"en": _META_LABELS.get(name, name)}),
        choices=(),
        relevance="",
        constraint="",
        versions=(),
        measure=_META_MEASURES.get(name, "nominal"),
    )


def _newest(forms: Sequence[tuple[str, Form]], name: str) -> Question | None:
    for _version, form in reversed(forms):
        if name in form.names():
            return form.question(name)
    return None


def _form_asking(forms: Sequence[tuple[str, Form]], name: str) -> Form | None:
    return next((form for _v, form in reversed(forms) if name in form.names()), None)


def _relevance(form: Form | None, question: Question | None) -> str:
    """The question's relevant expression together with its enclosing groups' ones."""
    if form is None or question is None:
        return ""
    parts = [form.group(group).relevant for group in question.groups]
    parts = [part.strip() for part in [*parts, question.relevant] if part.strip()]
    if len(parts) > 1:
        return " and ".join(f"({part})" for part in parts)
    return parts[0] if parts else ""


def _question_entry(
    variable: Variable,
    question: Question | None,
    forms: Sequence[tuple[str, Form]],
) -> CodebookEntry:
    choices: tuple[CodebookChoice, ...] = ()
    if variable.kind in (Kind.CATEGORICAL, Kind.LIKERT):
        values: Sequence[int | None] = choice_values(variable)
    else:
        values = [None] * len(variable.choices)
    choices = tuple(
        CodebookChoice(choice.name, value, _by_code(choice.labels), choice.missing)
        for choice, value in zip(variable.choices, values, strict=True)
    )
    kind = variable.kind.value if variable.kind in set(Kind) else "other"
    list_name = question.list_name if question is not None else None
    return CodebookEntry(
        column=variable.name,
        question=variable.name,
        kind=kind,
        type=f"{variable.type} {list_name}" if list_name else variable.type,
        labels=_by_code(variable.labels),
        choices=choices,
        relevance=_relevance(_form_asking(forms, variable.name), question),
        constraint=question.constraint if question is not None else "",
        versions=variable.versions,
        measure=_MEASURES.get(kind, "nominal"),
    )


def _option_entry(variable: Variable, choice: VariableChoice) -> CodebookEntry:
    question = _by_code(variable.labels)
    option = _by_code(choice.labels)
    labels = {
        code: f"{question.get(code) or variable.name}: {option.get(code) or choice.name}"
        for code in dict.fromkeys([*question, *option])
    }
    return CodebookEntry(
        column=option_column(variable.name, choice.name),
        question=variable.name,
        kind=OPTION_KIND,
        type="0/1",
        labels=MappingProxyType(labels),
        choices=(),
        relevance="",
        constraint="",
        versions=variable.versions,
        measure="nominal",
    )


def describe_choices(choices: Sequence[CodebookChoice]) -> str:
    """``1=yes; 2=no; 9=dk (missing)``: the codes of a choice list in one cell."""
    parts = []
    for choice in choices:
        code = f"{choice.value}={choice.name}" if choice.value is not None else choice.name
        parts.append(code + (" (missing)" if choice.missing else ""))
    return "; ".join(parts)


def codebook_table(
    entries: Sequence[CodebookEntry], languages: Sequence[str]
) -> tuple[list[str], list[list[object]]]:
    """The codebook as a table: a header and one row per entry (for a sheet or a CSV)."""
    names = stats_names([entry.column for entry in entries])
    header = [
        "name",
        "sav_dta_name",
        *[f"label_{language}" for language in languages],
        "type",
        "kind",
        "measure",
        "choices",
        "relevance",
        "constraint",
        "versions",
    ]
    rows: list[list[object]] = [
        [
            entry.column,
            names[entry.column],
            *[entry.label(language) for language in languages],
            entry.type,
            entry.kind,
            entry.measure,
            describe_choices(entry.choices),
            entry.relevance,
            entry.constraint,
            " ".join(entry.versions),
        ]
        for entry in entries
    ]
    return header, rows


def stats_names(columns: Sequence[str]) -> Mapping[str, str]:
    """Each column's name in .sav and .dta files: letters, digits and ``_``, starting with a
    letter, at most 32 characters, not a reserved word, unique (``b4/short_course`` ->
    ``b4_short_course``; ``_country`` -> ``v_country``)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = _NOT_NAME.sub("_", column) or "v"
        if not name[0].isalpha():
            name = f"v{name}" if name[0] == "_" else f"v_{name}"
        elif name.lower() in _RESERVED:
            name = f"v_{name}"
        name = name[:_NAME_LIMIT]
        candidate, number = name, 1
        while candidate.lower() in taken:
            number += 1
            suffix = f"_{number}"
            candidate = name[: _NAME_LIMIT - len(suffix)] + suffix
        taken.add(candidate.lower())
        names[column] = candidate
    return MappingProxyType(names)


def write_codebook(
    entries: Sequence[CodebookEntry], languages: Sequence[str], out: str | os.PathLike[str]
) -> None:
    """The codebook table as .xlsx (one sheet, header frozen) or, for any other suffix, .csv."""
    header, rows = codebook_table(entries, languages)
    if os.fspath(out).lower().endswith(".xlsx"):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        book = Workbook()
        sheet = book.active
        sheet.title = "codebook"
        for at, name in enumerate(header, start=1):
            put_cell(sheet, 1, at, name).font = Font(bold=True)
        top = Alignment(vertical="top")
        for number, row in enumerate(rows, start=2):
            for at, value in enumerate(row, start=1):
                put_cell(sheet, number, at, value).alignment = top
        for at, name in enumerate(header, start=1):
            # Names narrow, labels and choices wide enough to read.
            wide = name.startswith("label") or name in ("choices", "relevance", "constraint")
            sheet.column_dimensions[get_column_letter(at)].width = 48 if wide else 16
        sheet.freeze_panes = "B2"
        sheet.page_setup.orientation = "landscape"
        sheet.print_title_rows = "1:1"
        book.save(os.fspath(out))
        return
    with open(out, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([safe_csv_cell(name) for name in header])
        writer.writerows([safe_csv_cell(value) for value in row] for row in rows)
