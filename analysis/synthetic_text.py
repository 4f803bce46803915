"""Free-text answers for synthetic responses: short, plausible, and marked as synthetic.

Every snippet starts with :data:`MARK`, so no one mistakes one for a quotation
from a real institution. None names a person, an institution or a project.
"""

from __future__ import annotations

import random

MARK = "[synthetic] "

# I4: what a national framework should include, or other comments.
COMMENTS = (
    "A common definition and a short list of required certificate elements.",
    "Clear rules on how many credits from micro-credentials count towards a degree.",
    "A light quality assurance route for short courses, separate from programme accreditation.",
    "A national register so that employers can check a credential in one place.",
    "Funding for staff time: designing short courses competes with degree teaching.",
    "Guidance on stacking short courses into a postgraduate certificate.",
    "Alignment with the regional qualifications reference framework.",
    "Agreed metadata for digital certificates, so that platforms can exchange them.",
    "Recognition between institutions without case-by-case negotiation.",
    "A level descriptor for learning below one full course unit.",
    "Examples of good practice from institutions that already offer micro-credentials.",
    "Simpler approval of short courses co-designed with industry partners.",
    "More awareness among employers of what a micro-credential certifies.",
    "Rules on identity checks for online assessment.",
    "A timeline: we are waiting for national rules before we start.",
    "Incentives for adult learners, e.g. vouchers or tax relief for short courses.",
    "Consistent use of one credit unit for workload.",
    "Guidance on recognising micro-credentials from foreign providers.",
)

# A3 "other" institutional profiles.
PROFILES = (
    "Arts and design academy",
    "Health sciences institution",
    "Polytechnic college",
    "Graduate school only",
    "Maritime and aviation institute",
    "Agricultural university",
)

# A5 "other" respondent roles.
ROLES = (
    "Head of the digital learning unit",
    "Director of academic affairs",
    "Industry liaison officer",
    "Curriculum development coordinator",
    "International office staff",
)

# B4 "other" terms.
TERMS = (
    "Professional certificate",
    "Executive education module",
    "Skills passport",
    "Continuing education credit",
    "Short learning programme",
)


def synthetic(rng: random.Random, snippets: tuple[str, ...]) -> str:
    """One snippet, marked as synthetic."""
    return MARK + rng.choice(snippets)
