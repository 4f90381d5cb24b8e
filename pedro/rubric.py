"""Load and validate a rubric: the scale, its vocabulary and band sets, as data.

A rubric is a TOML file (``rubrics/pedro.toml`` is the PEDro scale).  The
loader checks every key it relies on and names the bad key and what is allowed,
so a typo in a rubric is one clear sentence rather than a KeyError later.
"""

from __future__ import annotations

import hashlib
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
# How a [columns.ROLE] table names its headers: whole headers (words), parts of headers (contains), and
# what may be added to a whole header without changing its meaning (qualifiers: "out of 10", "(0-10)"),
# words that name the column only among the words `beside` them (score_words: "score" in "Quality score").
COLUMN_KEYS = ("words", "contains", "qualifiers", "score_words", "beside")


@dataclass(frozen=True)
class Item:
    number: int
    key: str
    label: str
    criterion: str
    note: str
    scored: bool
    aliases: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The column heading pedro writes: number and name."""
        return f"{self.number} {self.label}"


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

    def band_of(self, total: int) -> str:
        for band in self.bands:
            if band.min <= total <= band.max:
                return band.label
        raise ValueError(f"total {total} outside 0..10")

    def band_of_range(self, low: int, high: int) -> str | None:
        """The band when the whole range [low, high] lies in one band, else None."""
        band = self.band_of(low)
        return band if self.band_of(high) == band else None

    def on_boundary(self, total: int) -> bool:
        """Whether one point more or less would change the band of ``total``."""
        return any(0 <= t <= self.bands[-1].max and self.band_of(t) != self.band_of(total)
                   for t in (total - 1, total + 1))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(band.label for band in self.bands)

    def describe(self) -> str:
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

    @property
    def max_total(self) -> int:
        return len(self.scored_items)

    def band_set(self, name: str | None) -> BandSet:
        name = name or self.default_bands
        try:
            return self.band_sets[name]
        except KeyError:
            raise RubricError(
                f"unknown band set '{name}'; rubric '{self.name}' has: {', '.join(self.band_sets)}"
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
    return _build(data, str(path), hashlib.sha256(raw_bytes).hexdigest())


def _require(table: dict, key: str, kind: type, where: str):
    if key not in table:
        raise RubricError(f"rubric {where}: missing key '{key}'")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RubricError(f"rubric {where}: '{key}' must be {kind.__name__}, found {value!r}")
    return value


def _build(data: dict, path: str, sha256: str) -> Rubric:
    meta = _require(data, "rubric", dict, path)
    items = tuple(_build_item(entry, f"{path} [[items]] #{i + 1}") for i, entry in enumerate(
        _require(data, "items", list, path)))
    numbers = [item.number for item in items]
    if sorted(numbers) != list(range(1, len(items) + 1)):
        raise RubricError(f"rubric {path}: items must be numbered 1..{len(items)} once each, found {numbers}")

    answers = _require(data, "answers", dict, path)
    synonyms: dict[str, str] = {}
    for canonical, words in _require(answers, "synonyms", dict, f"{path} [answers]").items():
        if canonical not in CANONICAL_ANSWERS:
            raise RubricError(
                f"rubric {path} [answers.synonyms]: '{canonical}' is not an answer; allowed: Y, N, ?")
        for word in words:
            folded = fold_answer(word)
            if synonyms.get(folded, canonical) != canonical:
                raise RubricError(
                    f"rubric {path} [answers.synonyms]: '{word}' is listed for both "
                    f"{synonyms[folded]} and {canonical}")
            synonyms[folded] = canonical
        synonyms[fold_answer(canonical)] = canonical

    columns = {}
    for role, spec in _require(data, "columns", dict, path).items():
        unknown = set(spec) - set(COLUMN_KEYS)
        if unknown:
            raise RubricError(f"rubric {path} [columns.{role}]: unknown key(s) {sorted(unknown)}; "
                              f"allowed: {', '.join(COLUMN_KEYS)}")
        columns[role] = {kind: tuple(header_key(w) for w in spec.get(kind, ())) for kind in COLUMN_KEYS}
    for role in ("study", "total", "band", "method", "n_allocated", "n_analysed", "evidence"):
        if role not in columns:
            raise RubricError(f"rubric {path}: missing table [columns.{role}]")

    band_sets = {name: _build_band_set(name, spec, path, len([i for i in items if i.scored]))
                 for name, spec in _require(data, "bands", dict, path).items()}
    default_bands = _require(meta, "default_bands", str, f"{path} [rubric]")
    if default_bands not in band_sets:
        raise RubricError(f"rubric {path} [rubric]: default_bands '{default_bands}' is not one of "
                          f"{', '.join(band_sets)}")
    return Rubric(
        name=_require(meta, "name", str, f"{path} [rubric]"),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        path=path,
        sha256=sha256,
        items=tuple(sorted(items, key=lambda item: item.number)),
        synonyms=synonyms,
        answer_meaning=dict(answers.get("meaning", {})),
        columns=columns,
        band_sets=band_sets,
        default_bands=default_bands,
        rule_params=dict(data.get("rules", {})),
    )


def _build_item(entry: dict, where: str) -> Item:
    return Item(
        number=_require(entry, "number", int, where),
        key=_require(entry, "key", str, where),
        label=_require(entry, "label", str, where),
        criterion=_require(entry, "criterion", str, where),
        note=entry.get("note", ""),
        scored=_require(entry, "scored", bool, where),
        aliases=tuple(header_key(a) for a in _require(entry, "aliases", list, where)),
    )


def _build_band_set(name: str, spec: dict, path: str, max_total: int) -> BandSet:
    where = f"{path} [bands.{name}]"
    bands = tuple(
        Band(label=_require(b, "label", str, where), min=_require(b, "min", int, where),
             max=_require(b, "max", int, where))
        for b in _require(spec, "bands", list, where))
    expected = 0
    for band in sorted(bands, key=lambda b: b.min):
        if band.min != expected or band.max < band.min:
            raise RubricError(
                f"rubric {where}: bands must cover 0..{max_total} without gaps or overlaps; "
                f"band '{band.label}' is {band.min}-{band.max}, expected it to start at {expected}")
        expected = band.max + 1
    if expected != max_total + 1:
        raise RubricError(f"rubric {where}: bands end at {expected - 1}, expected {max_total}")
    return BandSet(name=name, title=spec.get("title", name), source=_require(spec, "source", str, where),
                   caveat=spec.get("caveat", ""), bands=tuple(sorted(bands, key=lambda b: b.min)))
