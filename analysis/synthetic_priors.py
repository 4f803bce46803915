"""Assumed shares behind the synthetic responses: demo priors, not survey results.

Taken from the domain notes: share offering micro-credentials per country,
familiarity above the offer rate, about a third with an institutional policy,
barriers in the Coursera 2024 proportions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CountryPrior:
    """Assumed shares for one country (synthetic priors, not survey results)."""

    offer: float  # institutions offering micro-credentials (c1 emerging or beyond)
    language: str  # study language code; the rest answer in English
    english: float  # share answering in English
    types: tuple[float, float, float, float]  # a2: public, non-profit, for-profit, religious
    definition: tuple[float, float, float, float]  # b3: yes, draft, no, don't know
    eu: bool  # EU frameworks better known, ASEAN ones less
    national_guideline: float  # mean awareness (1-5) of national guidelines
    shares: tuple[float, ...]  # f4: typical maximum shares of a degree (percent)


TYPES = ("public", "private_nonprofit", "private_forprofit", "religious")  # a2
DEFINITIONS = ("yes", "draft", "no", "dk")  # b3
# fmt: off
PRIORS: Mapping[str, CountryPrior] = {
    "MY": CountryPrior(0.60, "ms", 0.45, (0.35, 0.10, 0.50, 0.05), (0.55, 0.15, 0.15, 0.15),
                       False, 3.8, (30.0, 30.0, 25.0, 20.0)),
    "ID": CountryPrior(0.40, "id", 0.10, (0.25, 0.45, 0.10, 0.20), (0.25, 0.30, 0.25, 0.20),
                       False, 3.2, (20.0, 25.0, 40.0, 50.0)),
    "PH": CountryPrior(0.40, "fil", 0.55, (0.30, 0.25, 0.20, 0.25), (0.20, 0.30, 0.30, 0.20),
                       False, 3.0, (25.0, 30.0, 20.0, 50.0)),
    "DE": CountryPrior(0.45, "de", 0.10, (0.75, 0.12, 0.10, 0.03), (0.05, 0.15, 0.60, 0.20),
                       True, 2.4, (50.0, 50.0, 25.0, 10.0)),
    "IT": CountryPrior(0.45, "it", 0.10, (0.75, 0.15, 0.05, 0.05), (0.10, 0.30, 0.40, 0.20),
                       True, 2.6, (25.0, 20.0, 15.0, 10.0)),
    "ES": CountryPrior(0.65, "es", 0.05, (0.60, 0.25, 0.05, 0.10), (0.45, 0.25, 0.15, 0.15),
                       True, 3.4, (15.0, 15.0, 10.0, 20.0)),
}
OTHER = CountryPrior(0.50, "en", 1.0, (0.5, 0.2, 0.2, 0.1), (0.2, 0.2, 0.4, 0.2), False, 2.8,
                     (20.0, 25.0))
FAMILIARITY_GAP = 0.15  # familiarity top-2-box above the offer rate (prior: 10-20 points)
FAMILIAR_OFFERERS = 0.92  # top-2-box among offerers; non-offerers fill the gap
# I1 barriers: share rating 4-5, after Coursera 2024 (awareness 50, curriculum 45, quality 35).
BARRIERS = {
    "i1_definition": 0.45, "i1_qa_rules": 0.35, "i1_recognition": 0.55, "i1_funding": 0.50,
    "i1_staff": 0.40, "i1_it": 0.30, "i1_employer": 0.50, "i1_demand": 0.25,
    "i1_curriculum": 0.45, "i1_accreditation": 0.30,
}
MEASURES = {
    "definition": 0.40, "nqf": 0.25, "qa_guideline": 0.35, "recognition": 0.50,
    "register": 0.20, "digital": 0.20, "funding": 0.45, "regional": 0.10,
}
# fmt: on
# I5: of those who wrote an I4 comment, the share letting the study quote it.
QUOTE_CONSENT = 0.7
