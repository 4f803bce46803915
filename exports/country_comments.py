"""Free-text comments for a country summary: only the quotable ones, with names taken out.

A comment (I4 of the bundled questionnaire) is quoted only when its respondent
answered "yes" to the question that asks for consent to quote it (I5); a
response to a version without that question is never quoted. Before a comment
is shown, :func:`remove_names` replaces what looks like a name with
:data:`REMOVED`. That is a best effort, not anonymisation: a researcher reads
the comments before a roundtable (docs/exports.md says which patterns are
caught and which are not).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from survey.models import FormVersion, Institution, Questionnaire, Response, ResponseStatus

COMMENT_QUESTION = "i4"
CONSENT_QUESTION = "i5"
CONSENTED = "yes"
REMOVED = "[name removed]"
MIN_NAME_LENGTH = 4  # shorter registry names ("UM") would hit ordinary words
MIN_ACRONYM = 3

# A capitalised word in the languages of the study (Latin script, with accents).
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
_TITLES = (
    r"Prof(?:essor)?|Assoc\.?\s+Prof|Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Sir|Dame|Ir|Dato'?|Datuk|"
    r"Datin|Tan\s+Sri|Puan|Encik|Cik|Tuan|Haji|Hajah|Bapak|Pak|Ibu|Atty|Engr|Herr|Frau|"
    r"Dott(?:\.?ssa)?|Ing|Sig(?:\.?ra)?|Sra?|Don|Doña"
)
_PERSON = re.compile(rf"\b(?:(?:{_TITLES})\.?\s+)+(?:{_CAP}\s*){{1,4}}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|ac|gov)(?:\.[a-z]{2})?(?:/\S*)?\b",
    re.I,
)
_KEYWORDS = (
    r"University|Universiti|Universitas|Universität|Università|Universita|Universidad|"
    r"Institute|Institut|Instituto|Istituto|Politeknik|Polytechnic|Politecnico|Politécnica|"
    r"Hochschule|College|Kolej|Akademi|Academy|Accademia|Colegio|Sekolah\s+Tinggi"
)
_CONNECT = r"(?:of|de|del|della|di|dell'|für|for|the|ng|and|y|e|la|und)"
_INSTITUTION = re.compile(
    rf"(?:{_CAP}\s+){{0,3}}(?:{_KEYWORDS})(?:\s+(?:{_CONNECT}\s+)?{_CAP}){{1,4}}"
    rf"|(?:{_CAP}\s+){{1,3}}(?:{_KEYWORDS})\b"
)
# Capitalised words that start a sentence or a German noun phrase, not a name.
_DETERMINERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "our",
        "their",
        "its",
        "my",
        "your",
        "every",
        "each",
        "die",
        "der",
        "das",
        "des",
        "dem",
        "den",
        "ein",
        "eine",
        "einer",
        "eines",
        "unsere",
        "unser",
        "jede",
        "jeder",
        "la",
        "le",
        "il",
        "lo",
        "el",
        "los",
        "las",
        "un",
        "una",
        "uno",
        "nostra",
        "nuestra",
        "setiap",
        "sebuah",
        "ang",
        "mga",
        "ini",
        "itu",
    ]
)
_REPEATED = re.compile(rf"{re.escape(REMOVED)}(?:[\s,;&]+(?:and\s+)?{re.escape(REMOVED)})+")


@dataclass(frozen=True)
class Comment:
    """One quotable comment, as it may be shown (names removed)."""

    text: str
    language: str  # the language the respondent answered in


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _acronym(name: str) -> str:
    return "".join(word[0] for word in re.findall(_CAP, name))


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Registry names (and acronyms of the longer ones), spacing and case ignored."""
    wanted: set[str] = set()
    for name in names:
        words = name.split()
        if len(name.strip()) >= MIN_NAME_LENGTH:
            wanted.add(r"\s+".join(re.escape(word) for word in words))
        acronym = _acronym(name)
        if len(acronym) >= MIN_ACRONYM:
            wanted.add("(?-i:" + re.escape(acronym) + ")")  # acronyms in capitals only
    if not wanted:
        return None
    ordered = sorted(wanted, key=len, reverse=True)  # the longest name first
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)", re.I)


class NameRemover:
    """Replaces names in comments; built once per summary from the institution registry."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        self.keys = frozenset(_key(name) for name in self.names)
        self.pattern = _name_pattern(self.names)

    def __call__(self, text: str, own: Sequence[str] = ()) -> str:
        """``text`` with names replaced; ``own`` adds names of the respondent's own institution."""
        found = _EMAIL.sub(REMOVED, text)
        found = _URL.sub(REMOVED, found)
        own_pattern = _name_pattern(n for n in own if n and n.strip())
        for pattern in (own_pattern, self.pattern):
            if pattern is not None:
                found = pattern.sub(REMOVED, found)
        found = _PERSON.sub(lambda m: REMOVED + _trailing(m.group(0)), found)
        found = _INSTITUTION.sub(_institution, found)
        found = re.sub(rf"(?:{_CAP}\s+){{1,3}}{_CAP}", self._registry_sequence, found)
        return _REPEATED.sub(REMOVED, found)

    def _registry_sequence(self, match: re.Match[str]) -> str:
        """2–4 capitalised words whose letters spell a registry name (punctuation aside)."""
        return REMOVED if _key(match.group(0)) in self.keys else match.group(0)


def _institution(match: re.Match[str]) -> str:
    """An institution-like phrase, unless it is only "The University" or "Die Hochschule"."""
    words = match.group(0).split()
    lead = 0
    while lead < len(words) - 1 and words[lead].casefold() in _DETERMINERS:
        lead += 1
    if len(words) - lead < 2:
        return match.group(0)
    kept = match.group(0)[: match.group(0).index(words[lead])] if lead else ""
    return kept + REMOVED + _trailing(match.group(0))


def _trailing(matched: str) -> str:
    """Keep the space a match swallowed at its end, so words stay apart."""
    return matched[len(matched.rstrip()) :]


def remove_names(text: str, registry: Iterable[str] = (), own: Sequence[str] = ()) -> str:
    """``text`` with e-mail addresses, URLs, registry names and person-like names replaced."""
    return NameRemover(registry)(text, own)


def quotable_comments(session: Session, form_id: str, country: str) -> tuple[Comment, ...]:
    """The country's consented comments of complete responses, oldest first, names removed."""
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.form_id == form_id)
    ).first()
    if questionnaire is None:
        return ()
    versions = select(col(FormVersion.id)).where(FormVersion.questionnaire_id == questionnaire.id)
    responses = session.exec(
        select(Response)
        .where(
            col(Response.form_version_id).in_(versions),
            col(Response.status) == ResponseStatus.COMPLETE.value,
            col(Response.country) == country.upper(),
        )
        .order_by(col(Response.id))
    ).all()
    consented = [
        r
        for r in responses
        if r.answers.get(CONSENT_QUESTION) == CONSENTED
        and isinstance(r.answers.get(COMMENT_QUESTION), str)
        and r.answers[COMMENT_QUESTION].strip()
    ]
    if not consented:
        return ()
    remover = NameRemover(session.exec(select(col(Institution.name))).all())
    own_ids = {r.institution_id for r in consented if r.institution_id is not None}
    own_names = {
        i.id: i.name
        for i in session.exec(select(Institution).where(col(Institution.id).in_(own_ids)))
    }
    return tuple(
        Comment(
            remover(
                r.answers[COMMENT_QUESTION].strip(),
                (r.institution_name, own_names.get(r.institution_id or -1, "")),
            ),
            r.language,
        )
        for r in consented
    )
