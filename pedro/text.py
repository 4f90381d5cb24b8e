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


# Between the texts ``fold_texts`` folds as one: no text a sheet holds has it (one that does is folded alone),
# it is not a space, it is its own NFKC and lower-case form and never combines with a neighbour under NFKC, and
# it is neither cased nor case-ignorable, so that a final sigma before it lower-cases as at the end of a text.
_BETWEEN = "\x00"
# The characters other than " " that ``str.split()`` and ``\s`` take for spaces (a test checks them against
# Python's own): a text holding none of them, nor two spaces in a row, has no spaces to collapse.
_OTHER_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                 "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def fold_texts(values) -> list[str]:
    """``[fold_text(v) for v in values]``, done on the values joined into one text: NFKC, spaces and lower
    case once at C speed instead of once per value."""
    texts = values if isinstance(values, list) else list(values)
    try:
        joined = _BETWEEN.join(texts)
    except TypeError:  # a value that is not text: its text, as fold_text reads it
        texts = list(map(str, texts))
        joined = _BETWEEN.join(texts)
    if joined.count(_BETWEEN) != max(len(texts) - 1, 0):  # a text holds the separator itself
        return list(map(fold_text, texts))
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined)
    if _spaced(joined):
        # Runs of spaces become one space, and the spaces left at the ends of each text go.
        joined = " ".join(joined.split()).replace(" " + _BETWEEN, _BETWEEN).replace(_BETWEEN + " ", _BETWEEN)
    folded = joined.lower().split(_BETWEEN) if texts else []
    return folded if len(folded) == len(texts) else list(map(fold_text, texts))


def _spaced(text: str) -> bool:
    """Whether texts joined by ``_BETWEEN`` have spaces to collapse or strip: most labels have none, and
    looking for them (a search through the text for each kind) is quicker than splitting the text into
    words and joining them again."""
    return (text[:1] == " " or text[-1:] == " " or "  " in text or " " + _BETWEEN in text or _BETWEEN + " " in text
            or any(space in text for space in _OTHER_SPACES))


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
