"""Folding of names for search and sorting, free of Django.

German users type "muller", "mueller" or "Müller" for the same person, and
"grosse" for "Große"; search must find the name whichever they choose.
"""

import re
import unicodedata

_UMLAUT_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SEPARATORS = re.compile(r"[\s\-'’.,]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case without accents: "Große" -> "grosse", "Müller" -> "muller"."""
    return _strip_marks(text.casefold())


def fold_transliterated(text: str) -> str:
    """Like fold(), but umlauts written out: "Müller" -> "mueller"."""
    return _strip_marks(text.casefold().translate(_UMLAUT_TRANSLITERATION))


def collapse(text: str) -> str:
    """Fold and join the words with single spaces: " von  der Heide-Öz " -> "von der heide oz"."""
    return " ".join(_SEPARATORS.split(fold(text))).strip()


def search_variants(text: str) -> set[str]:
    """Every spelling under which the text should be found."""
    return {fold(text), fold_transliterated(text), collapse(text)}


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
