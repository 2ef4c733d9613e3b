"""Normalised names for search and duplicate detection (plain functions, no Django).

"Moh. Ali  Rahman" and "moh ali rahman" normalise alike: accents dropped, punctuation removed,
lower case, single spaces.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    if name.isascii():  # nothing to decompose (most names): the same result, faster
        plain = name
    else:
        decomposed = unicodedata.normalize("NFKD", name)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", plain.lower())).strip()


def tidy_name(name: str) -> str:
    """How a typed name is stored: single spaces, no leading/trailing space; capitals as typed."""
    return _SPACES.sub(" ", name).strip()


def name_tokens(normalised: str) -> list[str]:
    """The words of a normalised name, as stored for the search (at most 60 characters each)."""
    return [word[:60] for word in normalised.split()]
