"""The dimension catalogue PM01–PM25 and the bundled jurisdictions, as immutable objects.

The catalogue is versioned with the code (``data/dimensions.json``): a dimension's
fields and value types are what every entry, page, import and indicator reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA = Path(__file__).parent / "data"
CATALOGUE_VERSION = "2026.1"  # change with data/dimensions.json


class Status(StrEnum):
    """How far a jurisdiction's rule has come; the first five are ordered."""

    NONE = "none"
    UNDER_DISCUSSION = "under_discussion"
    DRAFT = "draft"
    ADOPTED = "adopted"
    IMPLEMENTED = "implemented"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int | None:
        """Position on the scale none (0) … implemented (4); None for n/a and unknown."""
        return _RANKS.get(self)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


_RANKS = {
    Status.NONE: 0,
    Status.UNDER_DISCUSSION: 1,
    Status.DRAFT: 2,
    Status.ADOPTED: 3,
    Status.IMPLEMENTED: 4,
}
STATUSES = tuple(status.value for status in Status)

THEMES = (
    "definition",
    "scope",
    "qualifications_frameworks",
    "credits",
    "quality_assurance",
    "recognition",
    "stackability",
    "digital",
    "funding",
)

FIELD_TYPES = frozenset(
    {"enum", "multi_enum", "text", "integer", "number", "boolean", "url", "list"}
)


@dataclass(frozen=True)
class Field:
    """One typed part of a dimension's value, e.g. PM09's ``min``."""

    name: str
    type: str
    label: str
    choices: tuple[str, ...] = ()
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    computed: bool = False  # filled by the platform, never entered
    items: Mapping[str, Field] | None = None  # a list of objects: their fields
    item_type: str = "text"  # a list of plain values: their type

    @classmethod
    def of(cls, name: str, spec: Mapping[str, Any]) -> Field:
        kind = spec["type"]
        if kind not in FIELD_TYPES:
            raise ValueError(f"field {name}: unknown type {kind!r}")
        items: Mapping[str, Field] | None = None
        item_type = "text"
        if kind == "list":
            raw = spec.get("items", {"type": "text"})
            if "type" in raw and isinstance(raw["type"], str):
                item_type = raw["type"]
            else:
                items = MappingProxyType({key: cls.of(key, value) for key, value in raw.items()})
        return cls(
            name=name,
            type=kind,
            label=spec.get("label", name.replace("_", " ")),
            choices=tuple(spec.get("choices", ())),
            unit=spec.get("unit", ""),
            minimum=spec.get("min"),
            maximum=spec.get("max"),
            computed=bool(spec.get("computed", False)),
            items=items,
            item_type=item_type,
        )


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    description: str
    theme: str
    value_type: str
    fields: Mapping[str, Field]
    eu_reference: str | None
    eu_expected: Mapping[str, Any] | None
    grounding: str
    topic: str  # a few words for sentences: "no national rule on <topic>"

    @property
    def computed(self) -> bool:
        """Whether the whole dimension is derived by the platform (PM25)."""
        return all(f.computed for f in self.fields.values())

    @property
    def entered_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields.values() if not f.computed)


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    kind: str  # "country" or "reference"
    region: str | None = None

    @property
    def is_reference(self) -> bool:
        return self.kind == "reference"


@dataclass(frozen=True)
class Catalogue:
    dimensions: tuple[Dimension, ...]
    version: str = CATALOGUE_VERSION
    _by_id: Mapping[str, Dimension] = field(default_factory=dict, repr=False)

    def dimension(self, dimension_id: str) -> Dimension:
        return self._by_id[dimension_id]

    def get(self, dimension_id: str) -> Dimension | None:
        return self._by_id.get(dimension_id)

    def ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)


def _dimension(raw: Mapping[str, Any]) -> Dimension:
    fields = MappingProxyType({k: Field.of(k, v) for k, v in raw["value_schema"].items()})
    return Dimension(
        id=raw["id"],
        label=raw["label"],
        description=raw["description"],
        theme=raw["theme"],
        value_type=raw["value_type"],
        fields=fields,
        eu_reference=raw.get("eu_reference"),
        eu_expected=(
            MappingProxyType(dict(raw["eu_expected_value"]))
            if raw.get("eu_expected_value")
            else None
        ),
        grounding=raw.get("grounding", ""),
        topic=raw.get("topic") or raw["label"][0].lower() + raw["label"][1:],
    )


@cache
def catalogue() -> Catalogue:
    """The dimension catalogue shipped with this version of the platform."""
    raw = json.loads((DATA / "dimensions.json").read_text(encoding="utf-8"))
    dimensions = tuple(_dimension(item) for item in raw)
    return Catalogue(dimensions, _by_id=MappingProxyType({d.id: d for d in dimensions}))


@cache
def bundled_jurisdictions() -> tuple[Jurisdiction, ...]:
    """The six countries and the two reference rows."""
    raw = json.loads((DATA / "jurisdictions.json").read_text(encoding="utf-8"))
    return tuple(
        Jurisdiction(code=j["code"], name=j["name"], kind=j["kind"], region=j.get("region"))
        for j in raw
    )


def bundled_entries(code: str) -> list[dict[str, Any]]:
    """The researched entries of one bundled jurisdiction, as stored in the data files."""
    path = DATA / "entries" / f"{code}.json"
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries
