"""The normalised definition of a Form as JSON, and back.

This is what ``microcasa form inspect --json`` prints and what a FormVersion
stores: plain data that a later version of the platform can read without the
original spreadsheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from survey.logic import Expression, parse
from survey.xlsform.model import Choice, ChoiceList, Form, Group, Question, frozen
from survey.xlsform.reader import EXPRESSION_COLUMNS, build_pages

FORMAT = 1


def to_definition(form: Form) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "form_id": form.form_id,
        "version": form.version,
        "title": form.title,
        "default_language": form.default_language,
        "languages": list(form.languages),
        "questions": [_question(q) for q in form.questions],
        "groups": [
            {
                "name": g.name,
                "row": g.row,
                "labels": dict(g.labels),
                "relevant": g.relevant,
                "appearance": g.appearance,
                "parent": g.parent,
            }
            for g in form.groups
        ],
        "choices": {
            name: [
                {"name": c.name, "labels": dict(c.labels), **dict(c.extra)}
                for c in choice_list.choices
            ]
            for name, choice_list in form.choices.items()
        },
        "pages": [
            {"name": p.name, "group": p.group, "questions": list(p.questions)} for p in form.pages
        ],
        "settings": dict(form.settings),
    }


def _question(q: Question) -> dict[str, Any]:
    return {
        "name": q.name,
        "type": q.type,
        "list_name": q.list_name,
        "group": q.group,
        "groups": list(q.groups),
        "row": q.row,
        "required": q.required,
        "relevant": q.relevant,
        "constraint": q.constraint,
        "choice_filter": q.choice_filter,
        "appearance": q.appearance,
        "calculation": q.calculation,
        "default": q.default,
        "parameters": dict(q.parameters),
        "labels": dict(q.labels),
        "hints": dict(q.hints),
        "required_messages": dict(q.required_messages),
        "constraint_messages": dict(q.constraint_messages),
        "extra": dict(q.extra),
    }


def _texts(data: Mapping[str, Any], key: str) -> Mapping[str, str]:
    return frozen({str(k): str(v) for k, v in (data.get(key) or {}).items()})


def from_definition(data: Mapping[str, Any]) -> Form:
    """The Form a definition describes (expressions parsed again)."""
    questions = tuple(
        Question(
            name=q["name"],
            type=q["type"],
            row=int(q.get("row", 0)),
            labels=_texts(q, "labels"),
            hints=_texts(q, "hints"),
            list_name=q.get("list_name"),
            group=q.get("group"),
            groups=tuple(q.get("groups") or ()),
            required=q.get("required", ""),
            required_messages=_texts(q, "required_messages"),
            relevant=q.get("relevant", ""),
            constraint=q.get("constraint", ""),
            constraint_messages=_texts(q, "constraint_messages"),
            choice_filter=q.get("choice_filter", ""),
            appearance=q.get("appearance", ""),
            calculation=q.get("calculation", ""),
            default=q.get("default", ""),
            parameters=_texts(q, "parameters"),
            extra=_texts(q, "extra"),
        )
        for q in data["questions"]
    )
    groups = tuple(
        Group(
            name=g["name"],
            row=int(g.get("row", 0)),
            labels=_texts(g, "labels"),
            relevant=g.get("relevant", ""),
            appearance=g.get("appearance", ""),
            parent=g.get("parent"),
        )
        for g in data.get("groups", [])
    )
    choices = {
        name: ChoiceList(
            name,
            tuple(
                Choice(
                    c["name"],
                    _texts(c, "labels"),
                    frozen({k: str(v) for k, v in c.items() if k not in ("name", "labels")}),
                )
                for c in items
            ),
        )
        for name, items in data.get("choices", {}).items()
    }
    expressions: dict[tuple[str, str], Expression] = {}
    for group in groups:
        if group.relevant:
            expressions[(group.name, "relevant")] = parse(group.relevant)
    for question in questions:
        for column in EXPRESSION_COLUMNS:
            text = getattr(question, column)
            if text and not (column == "required" and text == "true"):
                expressions[(question.name, column)] = parse(
                    text, choice_filter=column == "choice_filter"
                )
    return Form(
        form_id=data["form_id"],
        version=data.get("version", ""),
        title=data.get("title", data["form_id"]),
        default_language=data["default_language"],
        languages=tuple(data["languages"]),
        questions=questions,
        groups=groups,
        choices=MappingProxyType(choices),
        pages=build_pages(questions, groups),
        settings=_texts(data, "settings"),
        expressions=MappingProxyType(expressions),
    )
