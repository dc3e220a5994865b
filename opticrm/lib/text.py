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


# What separates words, the same for PostgreSQL's regular expressions (the
# trigger of customers migration 0011 splits with it) and Python's: written
# out rather than as [^[:alnum:]], whose meaning beyond ASCII depends on the
# database's locale.
WORD_SEPARATORS = r"[\s\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u2010-\u2015\u2018-\u201f\u00b7]+"
_WORD_SEPARATORS = re.compile(WORD_SEPARATORS)
# Written out or not, an umlaut reads the same: "mueller", "muller" and
# "müller" all become "muller". That also makes "Michael" and "Michal" one
# word, which a name search can live with. (The same replacements, in this
# order, are in the trigger.)
WRITTEN_OUT_UMLAUTS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def search_key(word: str) -> str:
    """The form under which one folded word is indexed and looked up."""
    for written_out, umlaut in WRITTEN_OUT_UMLAUTS:
        word = word.replace(written_out, umlaut)
    return word


def search_words(text: str) -> list[str]:
    """The distinct search keys of the words in ``text``, in order: an
    email address splits into its parts, "Heide-Öz" into two words."""
    keys = (search_key(word) for word in _WORD_SEPARATORS.split(fold(text)))
    return list(dict.fromkeys(key for key in keys if key))
