"""Folding of the text people type into sheets, so that comparisons ignore
case, width, spacing, punctuation and British/American spelling.

Two folds, for two jobs: ``fold_answer`` keeps punctuation (``+``, ``-`` and
``?`` are answers), ``header_key`` drops it (``Drop-outs`` = ``dropouts``).
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_KEY = re.compile(r"[^\w%<>/]+|_")
# British and American spellings fold to the British one, as PEDro writes them.
_SPELLINGS = (("ization", "isation"), ("izing", "ising"), ("ized", "ised"), ("ize", "ise"),
              ("yzed", "ysed"), ("yze", "yse"), ("yzing", "ysing"))


def fold_text(value) -> str:
    """NFKC (full-width letters become ASCII), lower case, spaces collapsed."""
    text = str(value)
    if text.isascii():  # the same result, several times faster: ASCII is its own NFKC form
        return " ".join(text.split()).lower()
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip().lower()


def fold_answer(value) -> str:
    """The form in which answers are compared with the rubric's synonyms."""
    return fold_text(value)


def fold_spelling(text: str) -> str:
    for american, british in _SPELLINGS:
        text = text.replace(american, british)
    return text


def header_key(value) -> str:
    """A header reduced to letters, digits and the symbols that carry meaning
    in PEDro headers (``%``, ``<``, ``>``, ``/``)."""
    return _NOT_KEY.sub("", fold_spelling(fold_text(value)))
