"""The matrix workbook's layout, and how a value is written in its cell and read back.

Sheets, in this order:

- **Matrix**: row 1 holds ``dimension``, ``label``, ``part`` and then one jurisdiction
  code per column; row 2 the jurisdictions' names (not read back). From row 3, one row
  per dimension part: ``status``, ``as_of``, ``notes`` and ``value.<field>`` for each
  field of the dimension that is entered (computed dimensions and fields are left out).
- **Evidence**: one row per source: jurisdiction, dimension, n (its order in the
  cell), then the evidence fields; the URL is a working link.
- **Dimensions** and **History**: for reading only; the import ignores them.

The export (:mod:`policy_matrix.workbook`) writes values with :func:`field_value`;
the import (:mod:`policy_matrix.workbook_import`) reads them back with
:func:`typed_value`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from policy_matrix.catalogue import Catalogue, Dimension, Field, catalogue
from policy_matrix.values import EVIDENCE_FIELDS, Cell

MATRIX = "Matrix"
EVIDENCE = "Evidence"
DIMENSIONS = "Dimensions"
HISTORY = "History"
MATRIX_HEADERS = ("dimension", "label", "part")
FIRST_JURISDICTION_COLUMN = len(MATRIX_HEADERS) + 1
EVIDENCE_HEADERS = ("jurisdiction", "dimension", "n", *EVIDENCE_FIELDS)
CELL_PARTS = ("status", "as_of", "notes")
ITEM_SEPARATOR = " | "  # between the fields of one item of a list of objects (PM03 bodies)

WorkbookValue = str | int | float | bool | None


def editable_dimensions(cat: Catalogue | None = None) -> tuple[Dimension, ...]:
    """The dimensions that have rows in the Matrix sheet (computed ones are left out)."""
    return tuple(d for d in (cat or catalogue()).dimensions if not d.computed)


def parts_of(dimension: Dimension) -> tuple[str, ...]:
    """The Matrix rows of one dimension, in order."""
    return (*CELL_PARTS, *(f"value.{f.name}" for f in dimension.entered_fields))


def field_hint(field: Field) -> str:
    """How a value of this field is written in its workbook cell."""
    if field.type == "enum":
        return "one of: " + ", ".join(field.choices)
    if field.type == "multi_enum":
        return "any of, separated by spaces: " + " ".join(field.choices)
    if field.type == "list" and field.items is not None:
        parts = ITEM_SEPARATOR.join(field.items)
        choices = "; ".join(
            f"{name}: {', '.join(sub.choices)}" for name, sub in field.items.items() if sub.choices
        )
        return f"one per line, as {parts}" + (f" ({choices})" if choices else "")
    hints = {
        "list": "one per line",
        "boolean": "TRUE or FALSE",
        "integer": "a whole number",
        "number": "a number",
        "url": "a web address",
        "text": "text",
    }
    unit = f" ({field.unit})" if field.unit else ""
    return hints.get(field.type, field.type) + unit


# Writing


def field_value(field: Field, value: Any) -> WorkbookValue:
    """One typed value as its workbook cell holds it."""
    if value is None:
        return None
    if field.type == "multi_enum":
        return " ".join(str(v) for v in value)
    if field.type == "list":
        return "\n".join(_item_text(field, item) for item in value) or None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _item_text(field: Field, item: Any) -> str:
    if field.items is None or not isinstance(item, Mapping):
        return str(item)
    return ITEM_SEPARATOR.join(text_of(item.get(name)) for name in field.items)


def part_value(dimension: Dimension, cell: Cell, part: str) -> WorkbookValue:
    """What the Matrix sheet holds for one part of a cell."""
    if part == "status":
        return cell.status
    if part == "as_of":
        return cell.as_of or None
    if part == "notes":
        return cell.notes or None
    name = part.removeprefix("value.")
    return field_value(dimension.fields[name], (cell.value or {}).get(name))


def text_of(value: WorkbookValue) -> str:
    """A workbook value as one would read it in the sheet ("" for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


# Reading back


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as text: numbers as written, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def typed_value(spec: Field, value: Any) -> Any:
    """A Matrix cell as check_cell expects the field's value; what cannot be read goes as is."""
    if blank(value):
        return None
    kind = spec.type
    if kind in ("integer", "number"):
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        return value
    if kind == "boolean":
        words = {"true": True, "false": False}
        return words.get(value.strip().lower(), value) if isinstance(value, str) else value
    if kind == "multi_enum":
        return cell_text(value).split()
    if kind == "list":
        lines = [line.strip() for line in cell_text(value).splitlines() if line.strip()]
        if spec.items is None:
            return lines
        return [_item(spec.items, line) for line in lines]
    return cell_text(value).strip()


def _item(fields: Mapping[str, Field], line: str) -> dict[str, Any]:
    """One line of a list of objects: "name | role" (split at the last "|": names may hold one)."""
    names = list(fields)
    values = [part.strip() for part in line.rsplit(ITEM_SEPARATOR.strip(), len(names) - 1)]
    values += [""] * (len(names) - len(values))
    return {
        name: typed_value(fields[name], text)
        for name, text in zip(names, values, strict=True)
        if text
    }
