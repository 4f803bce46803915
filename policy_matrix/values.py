"""What a matrix cell holds, and the checks every way of editing it goes through.

Pages, the JSON API, workbook imports and the bundled data all call
:func:`check_cell`; it returns an immutable :class:`Cell` or raises
:class:`EntryInvalid` naming each wrong place (``status``, ``value.min``,
``evidence[2].url``) — all of them at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from microcasa.db import utcnow
from policy_matrix.catalogue import STATUSES, Dimension, Field, Status
from policy_matrix.errors import EntryInvalid, MatrixError

MAX_TEXT = 4000
MAX_NUMBER = 2**53  # beyond this JSON, SPSS and Stata lose precision
MAX_EXCERPT = 300
MAX_TITLE = 300
EVIDENCE_TYPES = ("legal_text", "agency_guideline", "official_web", "secondary", "expert_judgement")
CONFIDENCES = ("high", "medium", "low")
EVIDENCE_FIELDS = (
    "title",
    "url",
    "instrument_id",
    "issuer",
    "date_adopted",
    "date_accessed",
    "excerpt",
    "evidence_type",
    "confidence",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Evidence:
    title: str
    url: str = ""
    instrument_id: str = ""
    issuer: str = ""
    date_adopted: str = ""  # ISO date or ""
    date_accessed: str = ""
    excerpt: str = ""
    evidence_type: str = "secondary"
    confidence: str = "medium"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in EVIDENCE_FIELDS}


@dataclass(frozen=True)
class Cell:
    """One jurisdiction × dimension: status, typed value, as-of date, notes, evidence."""

    status: str = Status.UNKNOWN.value
    value: Mapping[str, Any] | None = None
    as_of: str = ""  # ISO date or ""
    notes: str = ""
    evidence: tuple[Evidence, ...] = ()

    def snapshot(self) -> dict[str, Any]:
        """The cell as JSON, as history and the API keep it."""
        return {
            "status": self.status,
            "value": _plain(self.value),
            "as_of": self.as_of or None,
            "notes": self.notes,
            "evidence": [e.as_dict() for e in self.evidence],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any] | None) -> Cell:
        """A stored snapshot back as a Cell (stored snapshots were checked when written)."""
        if not data:
            return cls()
        value = data.get("value")
        return cls(
            status=data.get("status") or Status.UNKNOWN.value,
            value=_frozen(value) if isinstance(value, Mapping) else None,
            as_of=data.get("as_of") or "",
            notes=data.get("notes") or "",
            evidence=tuple(
                Evidence(**{k: str(e.get(k) or "") for k in EVIDENCE_FIELDS})
                for e in data.get("evidence") or ()
            ),
        )

    @property
    def rank(self) -> int | None:
        return Status(self.status).rank


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def check_cell(dimension: Dimension, raw: Mapping[str, Any], today: date | None = None) -> Cell:
    """A Cell from raw fields (JSON, a form, a workbook row), or EntryInvalid with every error."""
    errors: dict[str, list[str]] = {}
    status = raw.get("status")
    if status is None or status == "":
        status = Status.UNKNOWN.value
    if status not in STATUSES:
        _add(errors, "status", MatrixError.STATUS.format(choices=", ".join(STATUSES)))
        status = Status.UNKNOWN.value
    today = today or latest_date()
    as_of = _date(raw.get("as_of"), "as_of", errors, today)
    notes = _text(raw.get("notes"), "notes", errors)
    value = _value(dimension, raw.get("value"), errors)
    evidence = _evidence(raw.get("evidence"), errors, today)
    if (
        status != Status.UNKNOWN.value
        and "evidence" not in errors
        and not any(e.url for e in evidence)
    ):
        _add(errors, "evidence", MatrixError.EVIDENCE_NEEDED.value)
    if errors:
        raise EntryInvalid(errors)
    return Cell(status=status, value=value, as_of=as_of, notes=notes, evidence=evidence)


def latest_date() -> date:
    """The latest date a cell may name: today somewhere on Earth (UTC+14), so tomorrow in UTC."""
    return utcnow().date() + timedelta(days=1)


def _add(errors: dict[str, list[str]], place: str, message: str) -> None:
    errors.setdefault(place, []).append(message)


def _text(raw: object, place: str, errors: dict[str, list[str]], limit: int = MAX_TEXT) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit or _CONTROL.search(raw):
        _add(errors, place, MatrixError.TEXT.format(limit=limit))
        return ""
    return raw.strip()


def _date(raw: object, place: str, errors: dict[str, list[str]], today: date) -> str:
    if raw is None or raw == "":
        return ""
    day: date | None = None
    if isinstance(raw, datetime):
        day = raw.date()  # spreadsheets give dates as datetimes at midnight
    elif isinstance(raw, date):
        day = raw
    elif isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            day = None
    if day is None:
        _add(errors, place, MatrixError.DATE.value)
        return ""
    if day > today:
        _add(errors, place, MatrixError.FUTURE_DATE.format(value=day.isoformat()))
        return ""
    return day.isoformat()


def _value(
    dimension: Dimension, raw: object, errors: dict[str, list[str]]
) -> Mapping[str, Any] | None:
    if raw is None or raw == {}:
        return None
    names = ", ".join(f.name for f in dimension.entered_fields)
    if not isinstance(raw, Mapping):
        _add(errors, "value", MatrixError.VALUE_OBJECT.format(fields=names))
        return None
    checked: dict[str, Any] = {}
    for name, item in raw.items():
        place = f"value.{name}"
        spec = dimension.fields.get(str(name))
        if spec is None:
            _add(
                errors,
                place,
                MatrixError.NOT_A_FIELD.format(dimension=dimension.id, name=name, fields=names),
            )
            continue
        if spec.computed:
            if item is not None:
                _add(errors, place, MatrixError.COMPUTED_FIELD.value)
            continue
        if item is None or item == "" or item == []:
            continue  # not stated
        typed = _typed(spec, item, place, errors)
        if typed is not None:
            checked[spec.name] = typed
    if dimension.value_type == "range":
        low, high = checked.get("min"), checked.get("max")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            _add(errors, "value.max", MatrixError.RANGE.format(low=low, high=high))
    return _frozen(checked) if checked else None


def _typed(spec: Field, raw: object, place: str, errors: dict[str, list[str]]) -> Any:
    kind = spec.type
    if kind == "enum":
        if raw in spec.choices:
            return raw
        _add(errors, place, MatrixError.CHOICE.format(choices=", ".join(spec.choices)))
        return None
    if kind == "multi_enum":
        items = raw.split() if isinstance(raw, str) else raw
        if isinstance(raw, str) and not items:
            return None  # blank: not stated
        if (
            isinstance(items, Sequence)
            and not isinstance(items, str)
            and all(i in spec.choices for i in items)
            and len(set(items)) == len(items)
        ):
            return tuple(items)
        _add(errors, place, MatrixError.CHOICES.format(choices=", ".join(spec.choices)))
        return None
    if kind in ("text", "url"):
        text = _text(raw, place, errors)
        if kind == "url" and text and not is_url(text):
            _add(errors, place, MatrixError.URL.value)
            return None
        return text or None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        _add(errors, place, MatrixError.BOOLEAN.value)
        return None
    if kind in ("integer", "number"):
        return _number(spec, raw, place, errors)
    return _list(spec, raw, place, errors)


def _number(spec: Field, raw: object, place: str, errors: dict[str, list[str]]) -> Any:
    whole = spec.type == "integer"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        _add(errors, place, (MatrixError.INTEGER if whole else MatrixError.NUMBER).value)
        return None
    if isinstance(raw, float) and (not math.isfinite(raw) or (whole and not raw.is_integer())):
        _add(errors, place, (MatrixError.INTEGER if whole else MatrixError.NUMBER).value)
        return None
    if abs(raw) > MAX_NUMBER:
        _add(errors, place, MatrixError.TOO_LARGE.value)
        return None
    number: int | float = int(raw) if whole else raw
    if spec.minimum is not None and number < spec.minimum:
        _add(errors, place, MatrixError.BELOW_MINIMUM.format(limit=spec.minimum))
        return None
    if spec.maximum is not None and number > spec.maximum:
        _add(errors, place, MatrixError.ABOVE_MAXIMUM.format(limit=spec.maximum))
        return None
    return number


def _list(spec: Field, raw: object, place: str, errors: dict[str, list[str]]) -> Any:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        _add(errors, place, MatrixError.LIST.value)
        return None
    items: list[Any] = []
    for index, item in enumerate(raw):
        where = f"{place}[{index + 1}]"
        if spec.items is None:
            text = _text(item, where, errors)
            if text:
                items.append(text)
            continue
        if not isinstance(item, Mapping):
            fields = ", ".join(spec.items)
            _add(errors, where, MatrixError.VALUE_OBJECT.format(fields=fields))
            continue
        entry: dict[str, Any] = {}
        for name, part in item.items():
            sub = spec.items.get(str(name))
            if sub is None:
                _add(
                    errors,
                    f"{where}.{name}",
                    MatrixError.NOT_A_FIELD.format(
                        dimension=spec.name, name=name, fields=", ".join(spec.items)
                    ),
                )
                continue
            if part is None or part == "":
                continue
            typed = _typed(sub, part, f"{where}.{name}", errors)
            if typed is not None:
                entry[sub.name] = typed
        if entry:
            items.append(entry)
    return tuple(items) or None


def is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


def _evidence(raw: object, errors: dict[str, list[str]], today: date) -> tuple[Evidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        _add(errors, "evidence", MatrixError.EVIDENCE_LIST.value)
        return ()
    found: list[Evidence] = []
    for index, item in enumerate(raw):
        place = f"evidence[{index + 1}]"
        if not isinstance(item, Mapping):
            _add(errors, place, MatrixError.EVIDENCE_LIST.value)
            continue
        before = len(errors)
        for name in item:
            if name not in EVIDENCE_FIELDS:
                _add(
                    errors,
                    f"{place}.{name}",
                    MatrixError.NOT_A_FIELD.format(
                        dimension="evidence", name=name, fields=", ".join(EVIDENCE_FIELDS)
                    ),
                )
        title = _text(item.get("title"), f"{place}.title", errors, MAX_TITLE)
        if not title and f"{place}.title" not in errors:
            _add(errors, f"{place}.title", MatrixError.EVIDENCE_TITLE.value)
        url = _text(item.get("url"), f"{place}.url", errors)
        if url and not is_url(url):
            _add(errors, f"{place}.url", MatrixError.URL.value)
        excerpt = _text(item.get("excerpt"), f"{place}.excerpt", errors)
        if len(excerpt) > MAX_EXCERPT:
            _add(errors, f"{place}.excerpt", MatrixError.EXCERPT.format(limit=MAX_EXCERPT))
        kind = item.get("evidence_type") or "secondary"
        if kind not in EVIDENCE_TYPES:
            choices = ", ".join(EVIDENCE_TYPES)
            _add(
                errors, f"{place}.evidence_type", MatrixError.EVIDENCE_TYPE.format(choices=choices)
            )
        confidence = item.get("confidence") or "medium"
        if confidence not in CONFIDENCES:
            _add(errors, f"{place}.confidence", MatrixError.CONFIDENCE.value)
        evidence = Evidence(
            title=title,
            url=url,
            instrument_id=_text(item.get("instrument_id"), f"{place}.instrument_id", errors),
            issuer=_text(item.get("issuer"), f"{place}.issuer", errors),
            date_adopted=_date(item.get("date_adopted"), f"{place}.date_adopted", errors, today),
            date_accessed=_date(item.get("date_accessed"), f"{place}.date_accessed", errors, today),
            excerpt=excerpt,
            evidence_type=str(kind),
            confidence=str(confidence),
        )
        if len(errors) == before:
            found.append(evidence)
    return tuple(found)
