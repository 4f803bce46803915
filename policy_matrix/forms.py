"""The cell edit form: inputs generated from a dimension's fields, read back into raw fields.

Input names are the places :func:`~policy_matrix.values.check_cell` reports errors at
(``value.min``, ``evidence[2].url``, ``value.bodies[3].role``), so a message lands next
to its input. Blank sources and blank rows are left out before checking; the numbers
of the places are mapped back to the form's own rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy_matrix.catalogue import Dimension, Field
from policy_matrix.values import CONFIDENCES, EVIDENCE_FIELDS, EVIDENCE_TYPES, Cell

BLANK_ROWS = 6  # empty rows offered under a list of objects (PM03 bodies)
BLANK_SOURCES = 2
EVIDENCE_LABELS = {
    "title": "Title",
    "url": "Web address (URL)",
    "instrument_id": "Instrument identifier",
    "issuer": "Issuer",
    "date_adopted": "Date adopted",
    "date_accessed": "Date accessed",
    "excerpt": "Excerpt (at most 300 characters)",
    "evidence_type": "Type of evidence",
    "confidence": "Confidence",
}
CHOICES = {"evidence_type": EVIDENCE_TYPES, "confidence": CONFIDENCES}
DEFAULTS = {"evidence_type": "secondary", "confidence": "medium"}  # as check_cell assumes
# What a person types into a source; the two selects always hold a choice.
EVIDENCE_TYPED = tuple(
    name for name in EVIDENCE_FIELDS if name not in ("evidence_type", "confidence")
)
_ROW_PLACE = re.compile(r"^(evidence|value\.\w+)\[(\d+)\](.*)$")
_WHOLE = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class CellForm:
    """An edit form as its inputs hold it, with the messages for each input."""

    values: Mapping[str, Any]  # input name -> text, or a list of texts (checkboxes)
    rows: Mapping[str, int]  # list-of-objects field -> rows shown
    sources: int  # evidence fieldsets shown
    errors: Mapping[str, tuple[str, ...]]  # input id -> messages

    def value(self, name: str) -> Any:
        return self.values.get(name, "")

    def chosen(self, name: str) -> tuple[str, ...]:
        found = self.values.get(name, ())
        return (found,) if isinstance(found, str) else tuple(found)


@dataclass(frozen=True)
class Submitted:
    """A posted form: what it shows again, and the raw fields for check_cell."""

    form: CellForm
    fields: dict[str, Any]
    reason: str
    revision: int | None
    positions: Mapping[str, tuple[int, ...]]  # "evidence" / "value.x" -> form row of each item


def blank_form(dimension: Dimension, cell: Cell, revision: int) -> CellForm:
    """The form filled with the cell's current content, plus blank rows and sources."""
    values: dict[str, Any] = {
        "revision": str(revision),
        "status": cell.status,
        "as_of": cell.as_of,
        "notes": cell.notes,
    }
    stored: Mapping[str, Any] = cell.value or {}
    rows: dict[str, int] = {}
    for field in dimension.entered_fields:
        name = f"value.{field.name}"
        held = stored.get(field.name)
        if field.items is not None:
            items = list(held or ())
            rows[field.name] = len(items) + BLANK_ROWS
            for index, item in enumerate(items, start=1):
                for sub in field.items.values():
                    values[f"{name}[{index}].{sub.name}"] = _shown(sub, item.get(sub.name))
        else:
            values[name] = _shown(field, held)
    for index, source in enumerate(cell.evidence, start=1):
        for key, text in source.as_dict().items():
            values[f"evidence[{index}].{key}"] = text
    return CellForm(values, rows, len(cell.evidence) + BLANK_SOURCES, {})


def _shown(field: Field, held: Any) -> Any:
    if held is None:
        return [] if field.type == "multi_enum" else ""
    if field.type == "multi_enum":
        return [str(item) for item in held]
    if field.type == "boolean":
        return "yes" if held else "no"
    if field.type == "list":
        return "\n".join(str(item) for item in held)
    if isinstance(held, float) and held.is_integer() and abs(held) < 1e15:
        return str(int(held))
    return str(held)


def read_form(dimension: Dimension, data: Mapping[str, Any]) -> Submitted:
    """The posted form read into raw fields, with JSON types where the inputs give them."""
    values: dict[str, Any] = {}

    def one(name: str) -> str:
        found = data.get(name, "")
        if isinstance(found, list):
            found = found[-1] if found else ""
        text = str(found)
        values[name] = text
        return text

    value: dict[str, Any] = {}
    rows: dict[str, int] = {}
    positions: dict[str, tuple[int, ...]] = {}
    for field in dimension.entered_fields:
        name = f"value.{field.name}"
        if field.items is not None:
            count = _row_count(data, name, BLANK_ROWS)
            rows[field.name] = count
            items: list[dict[str, Any]] = []
            kept: list[int] = []
            for index in range(1, count + 1):
                item = {
                    sub.name: _typed(sub, one(f"{name}[{index}].{sub.name}").strip())
                    for sub in field.items.values()
                }
                if any(part not in (None, "") for part in item.values()):
                    items.append(item)
                    kept.append(index)
            positions[name] = tuple(kept)
            if items:
                value[field.name] = items
        elif field.type == "multi_enum":
            found = data.get(name, [])
            chosen = [str(item) for item in (found if isinstance(found, list) else [found])]
            chosen = [item for item in chosen if item]
            values[name] = chosen
            if chosen:
                value[field.name] = chosen
        else:
            typed = _typed(field, one(name))
            if typed not in (None, "", []):
                value[field.name] = typed

    sources = _row_count(data, "evidence", BLANK_SOURCES)
    evidence: list[dict[str, str]] = []
    kept_sources: list[int] = []
    for index in range(1, sources + 1):
        source = {key: one(f"evidence[{index}].{key}").strip() for key in EVIDENCE_FIELDS}
        if any(source[key] for key in EVIDENCE_TYPED):
            evidence.append(source)
            kept_sources.append(index)
    positions["evidence"] = tuple(kept_sources)

    fields = {
        "status": one("status"),
        "as_of": one("as_of").strip(),
        "notes": one("notes"),
        "value": value,
        "evidence": evidence,
    }
    reason = one("reason")
    revision_text = one("revision").strip()
    revision = int(revision_text) if re.fullmatch(r"[0-9]{1,9}", revision_text) else None
    form = CellForm(values, rows, sources, {})
    return Submitted(form, fields, reason, revision, positions)


def _row_count(data: Mapping[str, Any], prefix: str, least: int) -> int:
    """How many rows the posted form had (the highest row number among its inputs)."""
    pattern = re.compile(re.escape(prefix) + r"\[([0-9]{1,3})\]\.")
    numbers = [int(m.group(1)) for key in data if (m := pattern.match(str(key)))]
    return max(numbers, default=least)


def _typed(field: Field, text: str) -> Any:
    """One input's text as the JSON type of its field; text that does not parse stays text,
    so that check_cell names the problem at this field."""
    if field.type in ("integer", "number"):
        return _number(text.strip())
    if field.type == "boolean":
        return {"yes": True, "no": False, "": None}.get(text.strip(), text)
    if field.type == "list":
        return [line.strip() for line in text.splitlines() if line.strip()]
    return text


def _number(text: str) -> Any:
    if not text:
        return None
    try:
        return int(text) if _WHOLE.fullmatch(text) else float(text)
    except ValueError:  # not a number, or too many digits for int()
        return text


def with_errors(submitted: Submitted, errors: Mapping[str, Sequence[str]]) -> CellForm:
    """The posted form with each message placed at the input it concerns."""
    placed: dict[str, list[str]] = {}
    for place, messages in errors.items():
        placed.setdefault(input_id(place, submitted.positions), []).extend(messages)
    form = submitted.form
    return CellForm(form.values, form.rows, form.sources, {k: tuple(v) for k, v in placed.items()})


def input_id(place: str, positions: Mapping[str, tuple[int, ...]]) -> str:
    """The form input an error place of check_cell belongs to."""
    match = _ROW_PLACE.match(place)
    if match is None:
        return place
    where, number, rest = match.group(1), int(match.group(2)), match.group(3)
    kept = positions.get(where)
    if kept is None:  # a list of plain texts: one textarea holds every item
        return where
    row = kept[number - 1] if 0 < number <= len(kept) else number
    return f"{where}[{row}]{rest}"


def labels(dimension: Dimension, form: CellForm) -> dict[str, str]:
    """Each input id with the words that name it, in the order of the form."""
    found = {"status": "Status", "as_of": "As of", "value": "Value"}
    for field in dimension.entered_fields:
        name = f"value.{field.name}"
        found[name] = field.label
        if field.items is not None:
            for index in range(1, form.rows.get(field.name, 0) + 1):
                found[f"{name}[{index}]"] = f"{field.label}, row {index}"
                for sub in field.items.values():
                    found[f"{name}[{index}].{sub.name}"] = (
                        f"{field.label}, row {index}: {sub.label}"
                    )
    found["notes"] = "Notes"
    found["evidence"] = "Evidence"
    for index in range(1, form.sources + 1):
        found[f"evidence[{index}]"] = f"Source {index}"
        for key, words in EVIDENCE_LABELS.items():
            found[f"evidence[{index}].{key}"] = f"Source {index}: {words}"
    found["reason"] = "Reason for the change"
    return found


def summary(dimension: Dimension, form: CellForm) -> tuple[tuple[str, str, str], ...]:
    """(input id, its words, message) for the error summary, in the order of the form."""
    named = labels(dimension, form)
    order = {key: number for number, key in enumerate(named)}
    ranked = sorted(form.errors.items(), key=lambda item: order.get(item[0], len(order)))
    return tuple(
        (key if key in named else "cell-form", named.get(key, "The form"), message)
        for key, messages in ranked
        for message in messages
    )
