"""Load and validate a rubric: the scale, its vocabulary and band sets, as data.

A rubric is a TOML file (``rubrics/pedro.toml`` is the PEDro scale).  The
loader checks every key it relies on and names the bad key and what is allowed,
so a typo in a rubric is one clear sentence rather than a KeyError later.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from .errors import RubricError
from .text import fold_answer, header_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_RUBRIC = "pedro"
CANONICAL_ANSWERS = ("Y", "N", "?")
# The answers of a rubric without an [answers] table: what review tables print for met, not met and unclear.
DEFAULT_SYNONYMS = {"Y": ["y", "yes", "1", "1.0", "true", "+", "✓", "✔"],
                    "N": ["n", "no", "0", "0.0", "false", "-", "✗", "✘"],
                    "?": ["?", "unclear", "u", "uncertain", "not clear", "can't tell", "cannot tell"]}
# How a [columns.ROLE] table names its headers: whole headers (words), parts of headers (contains), and
# what may be added to a whole header without changing its meaning (qualifiers: "out of 10", "(0-10)"),
# words that name the column only among the words `beside` them (score_words: "score" in "Quality score").
COLUMN_KEYS = ("words", "contains", "qualifiers", "score_words", "beside")
# The columns of a rubric that leaves a [columns.ROLE] table out: the plain headers review tables use.
DEFAULT_COLUMNS = {
    "study": {"words": ["study", "trial", "author", "authors", "author year", "reference", "study id", "trial id",
                        "id", "citation"]},
    "total": {"words": ["total", "score", "total score", "sum", "overall score", "quality score"],
              "qualifiers": ["points", "pts"], "score_words": ["score", "points"],
              "beside": ["quality", "total", "overall", "sum", "final"]},
    "band": {"words": ["band", "quality band", "quality rating", "rating", "category"]},
    "method": {"words": ["randomisation method", "method of randomisation", "sequence generation"]},
    "n_allocated": {"words": ["n allocated", "n randomised", "number randomised"]},
    "n_analysed": {"words": ["n analysed", "n with outcome", "number analysed"]},
    "evidence": {"contains": ["evidence", "quote", "page", "justification", "comment", "comments", "note", "notes"]},
}


MAX_POINTS = 10  # the most points one criterion may carry
NO_BANDS = "none"  # the band set of a rubric that names none: no total has a band


@dataclass(frozen=True)
class Part:
    """One point of a criterion worth several ("6a adherence > 85%"): answered yes or no."""
    code: str  # as sheets write it: "6a"
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    number: int
    key: str  # the item's role: a stable name rules use instead of its number ("random_allocation")
    label: str
    criterion: str
    note: str
    scored: bool
    aliases: tuple[str, ...]
    points: int = 1  # the most the item scores; 1 for a yes/no item
    parts: tuple[Part, ...] = ()  # one yes/no point each, when the item is worth several

    @property
    def heading(self) -> str:
        """The column heading pedro writes: number and name."""
        return f"{self.number} {self.label}"

    @property
    def role(self) -> str:
        return self.key

    @property
    def yes_no(self) -> bool:
        """Answered Y, N or ?; otherwise by its points, "0" to str(points)."""
        return self.points == 1


@dataclass(frozen=True)
class Subtotal:
    name: str
    label: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class Band:
    label: str
    min: int
    max: int


@dataclass(frozen=True)
class BandSet:
    name: str
    title: str
    source: str
    caveat: str
    bands: tuple[Band, ...]

    def band_of(self, total: int) -> str | None:
        if not self.bands:  # a rubric without a sourced band set: no total has a band
            return None
        for band in self.bands:
            if band.min <= total <= band.max:
                return band.label
        raise ValueError(f"total {total} outside 0..{self.bands[-1].max}")

    def band_of_range(self, low: int, high: int) -> str | None:
        """The band when the whole range [low, high] lies in one band, else None."""
        band = self.band_of(low)
        return band if self.band_of(high) == band else None

    def on_boundary(self, total: int) -> bool:
        """Whether one point more or less would change the band of ``total``."""
        return bool(self.bands) and any(0 <= t <= self.bands[-1].max and self.band_of(t) != self.band_of(total)
                   for t in (total - 1, total + 1))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(band.label for band in self.bands)

    def describe(self) -> str:
        if not self.bands:
            return f"no band ({self.caveat})" if self.caveat else "no band"
        return ", ".join(
            f"{b.min}-{b.max} {b.label}" if b.min != b.max else f"{b.min} {b.label}" for b in self.bands
        )


@dataclass(frozen=True)
class Rubric:
    name: str
    title: str
    source: str
    path: str
    sha256: str
    items: tuple[Item, ...]
    synonyms: dict[str, str]  # folded answer text -> canonical answer
    answer_meaning: dict[str, str]
    columns: dict[str, dict[str, tuple[str, ...]]]  # role -> {"words"|"contains"|"qualifiers": folded keys}
    band_sets: dict[str, BandSet]
    default_bands: str
    rule_params: dict[str, dict] = field(default_factory=dict)
    subtotals: tuple[Subtotal, ...] = ()
    no_bands: str = ""  # why the rubric names no band set ("TESTEX has no validated quality bands")
    item_word: str = "item"  # what the rubric calls an item in messages: "item", "criterion"
    # The SHA-256 of earlier versions of a shipped rubric that score as this one (its wording changed since)
    earlier_sha256: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """How outputs name the scale: 'PEDro', 'TESTEX'."""
        return "PEDro" if self.name == "pedro" else self.name.upper() if len(self.name) <= 10 else self.name

    def item(self, number: int) -> Item:
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(number)

    @cached_property  # asked per cell by some rules; the rubric never changes
    def scored_items(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items if item.scored)

    @cached_property
    def item_numbers(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items)

    @cached_property
    def max_total(self) -> int:
        return sum(item.points for item in self.items if item.scored)

    def by_role(self, role: str) -> Item | None:
        """The item with this role (its ``key``), or None when the rubric has none."""
        return next((item for item in self.items if item.key == role), None)

    @cached_property
    def points_of(self) -> dict[int, int]:
        return {item.number: item.points for item in self.items}

    def subtotal_points(self, subtotal: Subtotal) -> int:
        """The most a subtotal scores: the points of its items."""
        return sum(self.points_of[number] for number in subtotal.items)

    @property
    def yes_no(self) -> bool:
        """Every item is answered yes or no (as in PEDro): no points to read."""
        return all(item.yes_no for item in self.items)

    @property
    def item_plural(self) -> str:
        return "criteria" if self.item_word == "criterion" else f"{self.item_word}s"

    @property
    def sum_text(self) -> str:
        """What the total adds up: 'the number of "Y" on items 2-11', 'the points of criteria 1-12 (15 points)'."""
        return f'the number of "Y" on {self.scored_text}' if self.yes_no else f"the points of {self.scored_text}"

    @property
    def scored_text(self) -> str:
        """The scored items in words, for messages: 'items 2-11', 'criteria 1-12 (15 points)'."""
        points = "" if self.max_total == len(self.scored_items) else f" ({self.max_total} points)"
        return f"{self.scored_run}{points}"

    @property
    def scored_run(self) -> str:
        """The scored items without their points: 'items 2-11', 'criteria 1-12'."""
        numbers = self.scored_items
        run = (f"{numbers[0]}-{numbers[-1]}" if list(numbers) == list(range(numbers[0], numbers[-1] + 1))
               else ", ".join(map(str, numbers))) if numbers else "none"
        return f"{self.item_plural} {run}"

    def band_set(self, name: str | None) -> BandSet:
        name = name or self.default_bands
        if not self.band_sets and name in ("", NO_BANDS):
            return BandSet(name=NO_BANDS, title="no band", source="", caveat=self.no_bands, bands=())
        try:
            return self.band_sets[name]
        except KeyError:
            raise RubricError(
                f"unknown band set '{name}'; rubric '{self.name}' has: {', '.join(self.band_sets) or 'none'}"
            ) from None

    def params(self, rule_group: str) -> dict:
        try:
            return self.rule_params[rule_group]
        except KeyError:
            raise RubricError(
                f"rubric '{self.name}' ({self.path}) has no [rules.{rule_group}] table, which a rule needs"
            ) from None


def packaged_rubric_files() -> dict[str, Path]:
    """Rubric name -> file, for the rubrics shipped with pedro."""
    found: dict[str, Path] = {}
    for folder in _rubric_folders():
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".toml"):
                found.setdefault(entry.name[: -len(".toml")], Path(str(entry)))
    return found


def _rubric_folders():
    try:
        yield resources.files("pedro.rubrics")
    except ModuleNotFoundError:
        pass
    # Running from a source checkout that was not installed.
    checkout = Path(__file__).resolve().parent.parent / "rubrics"
    if checkout.is_dir():
        yield checkout


def load_rubric(name_or_path: str | None = None) -> Rubric:
    """Load a rubric by name (``pedro``) or by the path of a TOML file."""
    name_or_path = name_or_path or DEFAULT_RUBRIC
    files = packaged_rubric_files()
    if name_or_path in files:
        path = files[name_or_path]
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise RubricError(
                f"no rubric named '{name_or_path}'; pedro ships: {', '.join(files) or 'none'}; "
                "or pass the path of a rubric TOML file"
            )
    try:
        raw_bytes = path.read_bytes()
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"cannot read rubric {path}: {exc}") from None
    return _build(data, _Source(str(path), raw_bytes.decode("utf-8")), hashlib.sha256(raw_bytes).hexdigest())


class _Source:
    """The rubric file's text, to name the line of a key in an error: tomllib gives a line only for a
    syntax error, so a semantic one is placed by finding its table and key in the text."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = text.splitlines()

    def at(self, table: str, nth: int | None = None, key: str | None = None) -> _Place:
        """'FILE line N: [[items]] #3' for key ``key`` of table ``table`` (the ``nth`` of an array of
        tables, counted from 0; '' for the top level), or the table's own line when the key is not
        written on a line of its own; a message goes on after it ("... 'points' must be ...").  Worked
        out when it is printed: finding a line searches the text, and a rubric that loads prints none
        (placing every key took a third of loading one, issue 18)."""
        return _Place(self, table, nth, key)

    def place(self, table: str, nth: int | None, key: str | None) -> str:
        line = self.line(table, nth, key)
        place = f"{self.path} line {line}:" if line else f"{self.path}:"
        shown = f"[[{table}]] #{nth + 1}" if nth is not None else f"[{table}]" if table else ""
        return f"{place} {shown}" if shown else place

    def line(self, table: str, nth: int | None, key: str | None) -> int | None:
        if not table:
            start = 0
        else:
            name = r"\.".join(f"(?:{re.escape(p)}|\"{re.escape(p)}\")" for p in table.split("."))
            header = re.compile(rf"^\s*\[\[\s*{name}\s*\]\]" if nth is not None else rf"^\s*\[\s*{name}\s*\]")
            starts = [i for i, text in enumerate(self.lines) if header.match(text)]
            if len(starts) <= (nth or 0):
                return None
            start = starts[nth or 0]
        if key is None:
            return start + 1 if table else None
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        for i in range(start + (1 if table else 0), len(self.lines)):
            if self.lines[i].lstrip().startswith("["):  # the next table: the key is not written
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1 if table else None


class _Place:
    """Where a key is in a rubric file, as text when an error message is made (``_Source.at``)."""

    def __init__(self, source: _Source, *where):
        self.source, self.where = source, where

    def __str__(self) -> str:
        return self.source.place(*self.where)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _require(table: dict, key: str, kind: type, where: str, source: _Source | None = None,
             at: tuple = ()):
    """``table[key]``, of type ``kind``; an error names the key, its line (with ``source`` and ``at``,
    the (table, nth) of ``table``) and what is allowed."""
    if source is not None:
        where = source.at(*at, key=key) if key in table else source.at(*at)
    elif not where.endswith(":"):
        where += ":"  # a place given by an older caller, without the colon the message needs
    if key not in table:
        raise RubricError(f"rubric {where} missing key '{key}'")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RubricError(f"rubric {where} '{key}' must be {_KIND_WORDS.get(kind, kind.__name__)}, "
                          f"found {value!r}")
    return value


# How the error names the type a key needs; bool keeps its Python name, as earlier messages gave it.
_KIND_WORDS = {bool: "bool (true or false)", str: "text in quotes", list: "a list in [ ]",
               dict: "a table", int: "a whole number"}


def _build(data: dict, source: _Source, sha256: str) -> Rubric:
    path = source.path
    meta = _require(data, "rubric", dict, path, source, ("",))
    entries = _require(data, "items", list, path, source, ("",))
    items = tuple(_build_item(entry, source, i) for i, entry in enumerate(entries))
    _numbered_once(items, source)
    _unique_roles(items, source)
    _unique_aliases(items, source)
    _known_tables(data, source)
    synonyms, meaning = _answers(data, source)
    columns = _columns(data, source)
    scored_points = sum(item.points for item in items if item.scored)
    band_sets = {name: _build_band_set(name, spec, source, scored_points)
                 for name, spec in _require_table(data, "bands", source).items()}
    default_bands = meta.get("default_bands", "") if not band_sets else _require(
        meta, "default_bands", str, path, source, ("rubric",))
    if band_sets and default_bands not in band_sets:
        raise RubricError(f"rubric {source.at('rubric', None, 'default_bands')} default_bands '{default_bands}' "
                          f"is not one of {', '.join(band_sets)}")
    if not band_sets and not meta.get("no_bands"):
        raise RubricError(f"rubric {source.at('rubric')} the rubric names no band set; add tables [bands.NAME] "
                          "with a source, or say why there is none in 'no_bands' (e.g. \"no validated quality "
                          "bands\")")
    by_number = {item.number: item for item in items}
    return Rubric(
        name=_require(meta, "name", str, path, source, ("rubric",)),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        path=path,
        sha256=sha256,
        items=tuple(sorted(items, key=lambda item: item.number)),
        synonyms=synonyms,
        answer_meaning=meaning,
        columns=columns,
        band_sets=band_sets,
        default_bands=default_bands,
        rule_params=_rule_params(data, items, source),
        subtotals=_subtotals(data, by_number, source),
        no_bands=meta.get("no_bands", "") if isinstance(meta.get("no_bands", ""), str) else "",
        item_word=_choice(meta, "item_word", ("item", "criterion", "question"), source, "item"),
        earlier_sha256=tuple(_require(meta, "earlier_sha256", list, path, source, ("rubric",))
                             if "earlier_sha256" in meta else ()),
    )


def _require_table(data: dict, key: str, source: _Source) -> dict:
    """An optional top-level table: {} when absent."""
    if key not in data:
        return {}
    return _require(data, key, dict, source.path, source, ("",))


def _choice(table: dict, key: str, allowed: tuple, source: _Source, default: str) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise RubricError(f"rubric {source.at('rubric', None, key)} '{key}' must be one of "
                          f"{', '.join(allowed)}, found {value!r}")
    return value


def _numbered_once(items, source: _Source) -> None:
    """Items numbered 1..n once each; the error points at the item that breaks the run (the second of two
    items numbered 3, not the first item of the file)."""
    expected = list(range(1, len(items) + 1))
    numbers = [item.number for item in items]
    if sorted(numbers) == expected:
        return
    # n items whose numbers are not 1..n: one is out of range or repeats an earlier one
    position = next(p for p, number in enumerate(numbers) if number not in expected or number in numbers[:p])
    raise RubricError(f"rubric {source.at('items', position, 'number')} 'number' {numbers[position]}: items must "
                      f"be numbered 1..{len(items)} once each, found {numbers}")


# The top-level tables a rubric may have, and the [rules.NAME] tables pedro's rules read (a misspelt one
# would silently switch its rules off).  tests/test_rubric_file.py checks these against the rules.
TOP_TABLES = ("rubric", "items", "subtotals", "answers", "columns", "bands", "rules")
RULE_TABLES = ("answers", "blinding", "concealment", "evidence", "followup", "footnotes", "quasi_random", "totals")


def _known_tables(data: dict, source: _Source) -> None:
    unknown = [key for key in data if key not in TOP_TABLES]
    if unknown:
        table = unknown[0]
        # [bandz.x] has no line "[bandz]" of its own: its first sub-table's line, or a plain "bandz = ..." key's
        first = next(iter(data[table]), "") if isinstance(data[table], dict) else ""
        line = source.line(table, None, None) or source.line(f"{table}.{first}", None, None) or source.line(
            "", None, table)
        place = f"{source.path} line {line}:" if line else f"{source.path}:"
        raise RubricError(f"rubric {place} unknown table or key '{table}'; allowed: {', '.join(TOP_TABLES)}")
    rules = _require_table(data, "rules", source)
    for name in rules:
        if name not in RULE_TABLES:
            raise RubricError(f"rubric {source.at('rules.' + name)} unknown rule table [rules.{name}]; "
                              f"pedro's rules read: {', '.join(RULE_TABLES)}")


def _rule_params(data: dict, items, source: _Source) -> dict:
    """The [rules.NAME] tables, with every item they name checked: a role (``*_role``) must be an item's
    key, an item number (``item``, ``*_item``, ``items``) one of the rubric's items."""
    keys = [item.key for item in items]
    numbers = sorted(item.number for item in items)
    rules = _require_table(data, "rules", source)
    for name, params in rules.items():
        table = f"rules.{name}"
        if not isinstance(params, dict):
            raise RubricError(f"rubric {source.at('rules', None, name)} [rules.{name}] must be a table")
        for key, value in params.items():
            where = source.at(table, None, key)
            # A role that is a near-miss of an item's key is a typo, which would switch the rule off without a
            # word; a role unlike every key is a rubric without that item, and its rule is skipped (and
            # `pedro rules --rubric` says why).
            if key.endswith("_role") and value not in keys and difflib.get_close_matches(str(value), keys, 1, 0.8):
                raise RubricError(f"rubric {where} '{key}' {_shown(value)} names no item; the roles (item "
                                  f"keys) are: {', '.join(keys)}")
            named = value if key == "items" else [value] if key == "item" or key.endswith("_item") else None
            if named is None:
                continue
            if not isinstance(named, list) or any(isinstance(n, bool) or n not in numbers for n in named) \
                    or len(set(named)) != len(named):
                raise RubricError(f"rubric {where} '{key}' must name item numbers "
                                  f"({', '.join(map(str, numbers))}) once each, found {_shown(value)}")
    return dict(rules)


def _unique_aliases(items, source: _Source) -> None:
    """An alias (or part alias) names one item: the same header on two items would be read as whichever
    came first."""
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        own = {*item.aliases, *(a for part in item.parts for a in part.aliases)}
        for alias in sorted(own):
            if alias in seen and seen[alias] != item.number:
                raise RubricError(f"rubric {source.at('items', position, 'aliases')} alias '{alias}' is also an "
                                  f"alias of item {seen[alias]}; each alias must name one item")
            seen.setdefault(alias, item.number)


def _unique_roles(items, source: _Source) -> None:
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        if item.key in seen:
            raise RubricError(f"rubric {source.at('items', position, 'key')} 'key' '{item.key}' is also the key "
                              f"of item {seen[item.key]}; each item's key (its role) must be unique")
        seen[item.key] = item.number


def _answers(data: dict, source: _Source) -> tuple[dict[str, str], dict[str, str]]:
    path = source.path
    answers = _require(data, "answers", dict, path, source, ("",)) if "answers" in data else {
        "synonyms": DEFAULT_SYNONYMS}
    synonyms: dict[str, str] = {}
    for canonical, words in _require(answers, "synonyms", dict, path, source, ("answers",)).items():
        if canonical not in CANONICAL_ANSWERS:
            raise RubricError(
                f"rubric {source.at('answers.synonyms', None, canonical)} '{canonical}' is not "
                "an answer; allowed: Y, N, ?")
        for word in words:
            folded = fold_answer(word)
            if synonyms.get(folded, canonical) != canonical:
                raise RubricError(
                    f"rubric {source.at('answers.synonyms', None, canonical)} '{word}' is "
                    f"listed for both {synonyms[folded]} and {canonical}")
            synonyms[folded] = canonical
        synonyms[fold_answer(canonical)] = canonical
    return synonyms, dict(answers.get("meaning", {}))


def _columns(data: dict, source: _Source) -> dict:
    columns = {}
    for role, spec in _require_table(data, "columns", source).items():
        unknown = set(spec) - set(COLUMN_KEYS)
        if unknown:
            raise RubricError(f"rubric {source.at('columns.' + role)} unknown key(s) "
                              f"{sorted(unknown)}; allowed: {', '.join(COLUMN_KEYS)}")
        columns[role] = {kind: tuple(header_key(w) for w in spec.get(kind, ())) for kind in COLUMN_KEYS}
    for role, spec in DEFAULT_COLUMNS.items():
        columns.setdefault(role, {kind: tuple(header_key(w) for w in spec.get(kind, ())) for kind in COLUMN_KEYS})
    return columns


ITEM_KEYS = ("number", "key", "label", "criterion", "note", "scored", "aliases", "points", "parts")


def _build_item(entry: dict, source: _Source, position: int) -> Item:
    at = ("items", position)
    where = source.at(*at)
    if not isinstance(entry, dict):
        raise RubricError(f"rubric {where} each item must be a table [[items]], found {entry!r}")
    unknown = sorted(set(entry) - set(ITEM_KEYS))
    if unknown:
        raise RubricError(f"rubric {source.at(*at, key=unknown[0])} unknown key '{unknown[0]}'; allowed: "
                          f"{', '.join(ITEM_KEYS)}")
    points = entry.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise RubricError(f"rubric {source.at(*at, key='points')} 'points' must be a whole number 1-{MAX_POINTS}, "
                          f"found {_shown(points)}")
    number = _require(entry, "number", int, where, source, at)
    item = Item(
        number=number,
        key=_require(entry, "key", str, where, source, at),
        label=_require(entry, "label", str, where, source, at),
        criterion=_require(entry, "criterion", str, where, source, at),
        note=entry.get("note", ""),
        scored=_require(entry, "scored", bool, where, source, at),
        aliases=tuple(header_key(a) for a in _require(entry, "aliases", list, where, source, at)),
        points=points,
        parts=_build_parts(entry.get("parts", []), number, points, source, at),
    )
    return item


def _shown(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _build_parts(parts, number: int, points: int, source: _Source, at: tuple) -> tuple[Part, ...]:
    """An item's parts: none, or one per point, each with a code that starts with the item's number."""
    if not parts:
        return ()
    where = source.at(*at, key="parts")
    if not isinstance(parts, list) or len(parts) != points:
        found = len(parts) if isinstance(parts, list) else _shown(parts)
        raise RubricError(f"rubric {where} 'parts' must list one part per point ({points}), found {found}")
    built = []
    for part in parts:
        if not isinstance(part, dict) or not isinstance(part.get("code"), str) or not isinstance(
                part.get("label"), str):
            raise RubricError(f"rubric {where} each part must be a table with 'code' and 'label' in quotes, e.g. "
                              f'{{ code = "{number}a", label = "..." }}, found {_shown(part)}')
        if not header_key(part["code"]).startswith(str(number)) or header_key(part["code"]) == str(number):
            raise RubricError(f"rubric {where} part code {_shown(part['code'])} must be the item number and a "
                              f"letter, e.g. \"{number}a\"")
        built.append(Part(code=part["code"], label=part["label"],
                          aliases=tuple(header_key(a) for a in part.get("aliases", []))))
    return tuple(built)


def _subtotals(data: dict, by_number: dict, source: _Source) -> tuple[Subtotal, ...]:
    entries = data.get("subtotals", [])
    if not isinstance(entries, list):
        raise RubricError(f"rubric {source.at('', None, 'subtotals')} 'subtotals' must be an array of tables "
                          "[[subtotals]] with name, label and items")
    built = []
    for position, entry in enumerate(entries):
        at = ("subtotals", position)
        where = source.at(*at)
        items = tuple(_require(entry, "items", list, where, source, at))
        bad = [n for n in items if isinstance(n, bool) or n not in by_number or not by_number[n].scored]
        twice = sorted({n for n in items if items.count(n) > 1}, key=str)
        if bad or twice or not items:
            why = f"; item {twice[0]} is listed twice, and would count twice" if twice and not bad else ""
            raise RubricError(f"rubric {source.at(*at, key='items')} 'items' must list scored item numbers "
                              f"({', '.join(str(n) for n, i in by_number.items() if i.scored)}), found "
                              f"{list(items)}{why}")
        built.append(Subtotal(name=_require(entry, "name", str, where, source, at),
                              label=_require(entry, "label", str, where, source, at), items=items))
    return tuple(built)


def _build_band_set(name: str, spec: dict, source: _Source, max_total: int) -> BandSet:
    table = f"bands.{name}"
    where = source.at(table)
    bands = tuple(
        Band(label=_require(b, "label", str, where, source, (table,)),
             min=_require(b, "min", int, where, source, (table,)),
             max=_require(b, "max", int, where, source, (table,)))
        for b in _require(spec, "bands", list, where, source, (table,)))
    where = source.at(table, None, "bands")
    expected = 0
    for band in sorted(bands, key=lambda b: b.min):
        if band.min != expected or band.max < band.min:
            raise RubricError(
                f"rubric {where} bands must cover 0..{max_total} without gaps or overlaps; "
                f"band '{band.label}' is {band.min}-{band.max}, expected it to start at {expected}")
        expected = band.max + 1
    if expected != max_total + 1:
        raise RubricError(f"rubric {where} bands end at {expected - 1}, expected {max_total}")
    return BandSet(name=name, title=spec.get("title", name),
                   source=_require(spec, "source", str, where, source, (table,)),
                   caveat=spec.get("caveat", ""), bands=tuple(sorted(bands, key=lambda b: b.min)))
