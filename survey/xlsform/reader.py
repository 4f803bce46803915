"""XLSForm sheets -> an immutable Form, with every error and warning of the file at once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from types import MappingProxyType

from survey.logic import Expression, ExpressionError, check, find_cycles, parse
from survey.xlsform.choices import ChoicesSheet, check_choice_labels, read_choices
from survey.xlsform.columns import (
    DEFAULT,
    SURVEY_COLUMNS,
    TRANSLATABLE,
    Header,
    bare_language,
    compress_rows,
    languages_of,
    read_headers,
    translations,
)
from survey.xlsform.errors import FormError, FormInvalid, FormIssue, Severity, issue
from survey.xlsform.model import Form, Group, Page, Question, frozen
from survey.xlsform.sheets import Sheet, read_markdown, read_workbook
from survey.xlsform.types import RowType, parse_type

NAME = re.compile(r"^[^\W\d][\w.\-]*$")
FORM_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
TRUE_WORDS = frozenset({"yes", "true", "true()", "1"})
FALSE_WORDS = frozenset({"no", "false", "false()", "0", ""})
APPEARANCES = frozenset(
    {"minimal", "likert", "field-list", "table-list", "multiline", "horizontal"}
)
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "required")
HEADER_PROBLEMS = frozenset({FormError.MISSING_COLUMN.name, FormError.DUPLICATE_COLUMN.name})


@dataclass(frozen=True)
class ReadResult:
    form: Form
    warnings: tuple[FormIssue, ...]


def read_xlsx(data: bytes, filename: str = "form.xlsx") -> ReadResult:
    """Read an uploaded .xlsx; raise FormInvalid listing every problem."""
    return read_sheets(read_workbook(data), PurePath(filename).stem)


def read_markdown_form(text: str, name: str = "form") -> ReadResult:
    """Read a questionnaire written as markdown tables (## survey, ## choices, ## settings)."""
    return read_sheets(read_markdown(text), name)


class _Reader:
    def __init__(self, sheets: Sequence[Sheet], fallback_id: str) -> None:
        self.issues: list[FormIssue] = []
        self._plain: dict[str, str] = {}
        self.fallback_id = fallback_id
        self.sheets: dict[str, Sheet] = {}
        for sheet in sheets:
            key = sheet.name.strip().lower()
            if key in {"survey", "choices", "settings"} and key not in self.sheets:
                self.sheets[key] = sheet
            else:
                self.warn(issue(FormError.IGNORED_SHEET, Severity.WARNING, sheet=sheet.name))
        for kept in self.sheets.values():
            for line in kept.rows:
                for column, text in line.cells.items():
                    if "\x00" in text:  # PostgreSQL cannot store it
                        self.error(
                            FormError.NULL_CHARACTER,
                            sheet=kept.name,
                            row=line.number,
                            column=column,
                        )

    def warn(self, item: FormIssue) -> None:
        self.issues.append(item)

    def error(self, error: FormError, **values: object) -> None:
        self.issues.append(issue(error, **values))  # type: ignore[arg-type]

    def has_errors(self) -> bool:
        return any(i.severity is Severity.ERROR for i in self.issues)

    def read(self) -> Form:
        survey = self.sheets.get("survey")
        if survey is None:
            names = ", ".join(sorted(self.sheets) or ["none"])
            raise FormInvalid([*self.issues, issue(FormError.NO_SURVEY_SHEET, sheets=names)])
        settings = self._settings()
        bare = bare_language(
            (survey, self.sheets.get("choices")), settings.get("default_language", "")
        )
        headers, header_issues = read_headers(survey, SURVEY_COLUMNS, warn_unknown=True, bare=bare)
        self.issues[:0] = header_issues
        if "type" not in {h.base for h in headers}:
            self.error(FormError.MISSING_COLUMN, sheet="survey", column="type")
        choices = read_choices(self.sheets.get("choices"), bare)
        self.issues.extend(choices.issues)
        if any(i.code in HEADER_PROBLEMS for i in self.issues):
            # Rows cannot be read against broken headers; every other error is
            # collected so that the author sees all of them at once.
            raise FormInvalid(self.issues)
        languages = self._languages(headers, choices, settings.get("default_language", ""))
        default_language = settings.get("default_language") or (
            DEFAULT if DEFAULT in languages else (languages[0] if languages else DEFAULT)
        )
        questions, groups = self._rows(survey, headers, choices)
        self._check_lists(questions, choices)
        expressions = self._expressions(questions, groups, choices)
        self._missing_translations(survey, headers, default_language, languages)
        if "choices" in self.sheets:
            self._missing_translations(
                self.sheets["choices"], choices.headers, default_language, languages
            )
        if not any(q.type != "calculate" for q in questions) and not self.has_errors():
            self.error(FormError.NO_QUESTIONS, sheet="survey")
        if self.has_errors():
            raise FormInvalid(self.issues)
        form_id = settings.get("form_id") or self.fallback_id
        return Form(
            form_id=form_id,
            version=settings.get("version", ""),
            title=settings.get("form_title") or form_id,
            default_language=default_language,
            languages=tuple(languages or [DEFAULT]),
            questions=tuple(questions),
            groups=tuple(groups),
            choices=MappingProxyType(dict(choices.lists)),
            pages=build_pages(questions, groups),
            settings=frozen(settings),
            expressions=MappingProxyType(expressions),
        )

    def _settings(self) -> dict[str, str]:
        sheet = self.sheets.get("settings")
        if sheet is None or not sheet.rows:
            return {}
        values = {k.strip(): v for k, v in sheet.rows[0].cells.items()}
        form_id = values.get("form_id", "")
        if form_id and not FORM_ID.match(form_id):
            self.error(FormError.BAD_FORM_ID, sheet="settings", column="form_id", value=form_id)
        version = values.get("version", "")
        if version and not version.isdigit():
            self.warn(
                issue(
                    FormError.BAD_VERSION,
                    Severity.WARNING,
                    sheet="settings",
                    column="version",
                    value=version,
                )
            )
        return values

    def _languages(
        self, headers: list[Header], choices: ChoicesSheet, default_language: str
    ) -> list[str]:
        languages = languages_of([*headers, *choices.headers])
        named = [language for language in languages if language != DEFAULT]
        if default_language and default_language not in languages:
            if named:
                self.error(
                    FormError.BAD_DEFAULT_LANGUAGE,
                    sheet="settings",
                    column="default_language",
                    value=default_language,
                    languages=", ".join(named),
                )
            elif DEFAULT in languages:
                # Only bare columns: they are the named default language.
                return [default_language]
        if default_language and DEFAULT in languages and default_language in languages:
            languages.remove(DEFAULT)
        return languages

    def _rows(
        self, survey: Sheet, headers: list[Header], choices: ChoicesSheet
    ) -> tuple[list[Question], list[Group]]:
        plain = {h.base: h.text for h in headers if h.language is None}
        unknown = [h for h in headers if h.language is None and h.base not in SURVEY_COLUMNS]
        self._plain = plain
        cell = self._cell
        questions: list[Question] = []
        groups: list[Group] = []
        stack: list[Group] = []
        first_seen: dict[str, int] = {}

        for row in survey.rows:
            cells = row.cells
            raw_type = cell(cells, "type")
            name = cell(cells, "name")
            if not raw_type:
                if name or any(cells.get(h.text) for h in headers if h.base == "label"):
                    self.error(
                        FormError.MISSING_TYPE, sheet="survey", row=row.number, column="type"
                    )
                continue
            row_type = parse_type(raw_type)
            if isinstance(row_type, FormIssue):
                self.issues.append(_at_row(row_type, row.number))
                continue
            if row_type.kind == "end_group":
                if not stack:
                    self.error(
                        FormError.UNMATCHED_END, sheet="survey", row=row.number, column="type"
                    )
                else:
                    stack.pop()
                continue
            if not self._check_name(name, row_type, row.number, first_seen):
                if row_type.kind == "begin_group":
                    stack.append(Group(name=name, row=row.number))  # matched by its end_group
                continue
            labels = translations(cells, headers, "label")
            if row_type.kind == "begin_group":
                group = Group(
                    name=name,
                    row=row.number,
                    labels=frozen(labels),
                    relevant=cell(cells, "relevant"),
                    appearance=cell(cells, "appearance"),
                    parent=stack[-1].name if stack else None,
                )
                groups.append(group)
                stack.append(group)
                continue
            question = self._question(row_type, name, row.number, cells, headers, stack)
            if question.type not in ("calculate",) and not any(labels.values()):
                self.error(
                    FormError.MISSING_LABEL,
                    sheet="survey",
                    row=row.number,
                    column="label",
                    type=question.type,
                    name=name,
                )
            if unknown:
                extra = {h.base: cells[h.text] for h in unknown if cells.get(h.text)}
                question = _replace_extra(question, extra)
            questions.append(question)
        for group in stack:
            self.error(
                FormError.UNCLOSED_GROUP,
                sheet="survey",
                row=group.row,
                column="type",
                name=group.name,
            )
        return questions, groups

    def _check_name(
        self, name: str, row_type: RowType, row: int, first_seen: dict[str, int]
    ) -> bool:
        if not name:
            self.error(
                FormError.MISSING_NAME, sheet="survey", row=row, column="name", type=row_type.kind
            )
            return False
        if not NAME.match(name):
            self.error(FormError.BAD_NAME, sheet="survey", row=row, column="name", name=name)
            return False
        if name in first_seen:
            self.error(
                FormError.DUPLICATE_NAME,
                sheet="survey",
                row=row,
                column="name",
                name=name,
                first=first_seen[name],
            )
            return False
        first_seen[name] = row
        return True

    def _cell(self, cells: dict[str, str], column: str) -> str:
        header = self._plain.get(column)
        return cells.get(header, "") if header else ""

    def _question(
        self,
        row_type: RowType,
        name: str,
        row: int,
        cells: dict[str, str],
        headers: list[Header],
        stack: list[Group],
    ) -> Question:
        get = self._cell
        required = get(cells, "required")
        if required.lower() in TRUE_WORDS:
            required = "true"
        elif required.lower() in FALSE_WORDS:
            required = ""
        appearance = get(cells, "appearance")
        for word in appearance.split():
            if word not in APPEARANCES:
                self.warn(
                    issue(
                        FormError.BAD_APPEARANCE,
                        Severity.WARNING,
                        sheet="survey",
                        row=row,
                        column="appearance",
                        value=word,
                        supported=", ".join(sorted(APPEARANCES)),
                    )
                )
        if row_type.kind == "calculate" and not get(cells, "calculation"):
            self.error(
                FormError.CALCULATE_WITHOUT_CALCULATION,
                sheet="survey",
                row=row,
                column="calculation",
                name=name,
            )
        return Question(
            name=name,
            type=row_type.kind,
            row=row,
            labels=frozen(translations(cells, headers, "label")),
            hints=frozen(translations(cells, headers, "hint")),
            list_name=row_type.list_name,
            group=stack[-1].name if stack else None,
            groups=tuple(group.name for group in stack),
            required=required,
            required_messages=frozen(translations(cells, headers, "required_message")),
            relevant=get(cells, "relevant"),
            constraint=get(cells, "constraint"),
            constraint_messages=frozen(translations(cells, headers, "constraint_message")),
            choice_filter=get(cells, "choice_filter"),
            appearance=appearance,
            calculation=get(cells, "calculation"),
            default=get(cells, "default"),
            parameters=frozen(self._parameters(get(cells, "parameters"), row)),
        )

    def _parameters(self, text: str, row: int) -> dict[str, str]:
        values: dict[str, str] = {}
        for part in re.split(r"[\s;,]+", text.strip()):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not key or not value:
                self.error(
                    FormError.BAD_PARAMETER,
                    sheet="survey",
                    row=row,
                    column="parameters",
                    value=part,
                )
                continue
            values[key.strip()] = value.strip()
        return values

    def _check_lists(self, questions: list[Question], choices: ChoicesSheet) -> None:
        used: dict[str, str] = {}
        for question in questions:
            if question.list_name is None:
                continue
            if "choices" not in self.sheets:
                self.error(
                    FormError.NO_CHOICES_SHEET,
                    sheet="survey",
                    column="type",
                    name=question.name,
                    row=question.row,
                    list=question.list_name,
                )
            elif question.list_name not in choices.lists:
                self.error(
                    FormError.UNKNOWN_LIST,
                    sheet="survey",
                    row=question.row,
                    column="type",
                    list=question.list_name,
                )
            elif used.get(question.list_name) != "select_multiple":
                used[question.list_name] = question.type
            for key in ("max-pick", "max_pick"):
                value = question.parameters.get(key)
                if value is not None and not (value.isdecimal() and int(value) > 0):
                    # max-pick=0 would make every answer too many picks; isdecimal,
                    # not isdigit, which takes "²" that int() refuses.
                    self.error(
                        FormError.BAD_PARAMETER,
                        sheet="survey",
                        row=question.row,
                        column="parameters",
                        value=f"{key}={value}",
                    )
        self.issues.extend(check_choice_labels(choices, used))

    def _expressions(
        self, questions: list[Question], groups: list[Group], choices: ChoicesSheet
    ) -> dict[tuple[str, str], Expression]:
        known = {q.name for q in questions} | {g.name for g in groups}
        parsed: dict[tuple[str, str], Expression] = {}
        cells: list[tuple[str, int, str, str]] = [
            (g.name, g.row, "relevant", g.relevant) for g in groups if g.relevant
        ]
        for q in questions:
            for column in EXPRESSION_COLUMNS:
                value = q.required if column == "required" else getattr(q, column)
                if value and not (column == "required" and value == "true"):
                    cells.append((q.name, q.row, column, value))
        for name, row, column, text in cells:
            try:
                expression = parse(text, choice_filter=column == "choice_filter")
            except ExpressionError as exc:
                self.error(
                    FormError.BAD_REQUIRED if column == "required" else FormError.BAD_EXPRESSION,
                    sheet="survey",
                    row=row,
                    column=column,
                    value=text,
                    detail=str(exc),
                )
                continue
            # A choice filter may test the choice's name too (name != ${first}), as
            # in ODK; the engine gives it the name with the further columns.
            columns = choices.extra_columns | {"name"} if column == "choice_filter" else frozenset()
            for problem in check(expression, known, columns):
                self.error(
                    FormError.EXPRESSION_PROBLEM,
                    sheet="survey",
                    row=row,
                    column=column,
                    detail=problem.message,
                )
            parsed[(name, column)] = expression
        dependencies = {
            name: expression.references()
            for (name, column), expression in parsed.items()
            if column == "calculation"
        }
        for cycle in find_cycles(dependencies):
            self.error(
                FormError.CYCLE,
                sheet="survey",
                column="calculation",
                cycle=" → ".join(f"${{{n}}}" for n in cycle),
            )
        return parsed

    def _missing_translations(
        self, sheet: Sheet, headers: list[Header], default: str, languages: list[str]
    ) -> None:
        if len(languages) < 2:
            return
        for base in TRANSLATABLE:
            columns = {h.language: h.text for h in headers if h.base == base and h.language}
            source = columns.get(default) or columns.get(DEFAULT)
            if source is None:
                continue
            for language, column in columns.items():
                if language in (default, DEFAULT):
                    continue
                rows = [
                    row.number
                    for row in sheet.rows
                    if row.cells.get(source) and not row.cells.get(column)
                ]
                if rows:
                    self.warn(
                        issue(
                            FormError.MISSING_TRANSLATION,
                            Severity.WARNING,
                            sheet=sheet.name.strip().lower(),
                            column=column,
                            language=language,
                            rows=("row " if len(rows) == 1 else "rows ") + compress_rows(rows),
                            default=default,
                        )
                    )


def _at_row(item: FormIssue, row: int) -> FormIssue:
    return FormIssue(item.code, item.message.format(row=row), item.severity, "survey", row, "type")


def _replace_extra(question: Question, extra: dict[str, str]) -> Question:
    from dataclasses import replace

    return replace(question, extra=frozen(extra))


def read_sheets(sheets: Sequence[Sheet], fallback_id: str = "form") -> ReadResult:
    """Sheets -> Form and warnings; FormInvalid (with warnings too) when anything is wrong."""
    reader = _Reader(sheets, re.sub(r"[^A-Za-z0-9_]", "_", fallback_id) or "form")
    form = reader.read()
    return ReadResult(form, tuple(reader.issues))


def build_pages(questions: Sequence[Question], groups: Sequence[Group]) -> tuple[Page, ...]:
    """Each top-level group is a page; each displayed question outside groups is its own page."""
    pages: list[Page] = []
    top_groups = {group.name for group in groups if group.parent is None}
    seen_groups: set[str] = set()
    for question in questions:
        top = question.groups[0] if question.groups else None
        if top is None:
            if question.type != "calculate":
                pages.append(Page(question.name, None, (question.name,)))
            continue
        if top in top_groups and top not in seen_groups:
            seen_groups.add(top)
            members = tuple(q.name for q in questions if q.groups and q.groups[0] == top)
            pages.append(Page(top, top, members))
    return tuple(pages)
