"""The report's figures as geometry for inline SVG (drawn by
``templates/figures.svg.j2``): the traffic light (a dot per answer, in the
colour-blind-safe palette of ``pedro.plot`` and with the answer's symbol on
it, as robvis draws judgements) and the summary (the share of trials on each
answer, per item, each share labelled with its symbol).

Rows keep a legible height at any number of trials: the figure grows and the
page scrolls it; it is never shrunk to fit.
"""

from __future__ import annotations

import functools
import unicodedata

from ..engine import ScoreResult
from ..plot import ANSWER_COLOURS, EDGE
from ..write.style import ANSWER_NAMES, ANSWER_SYMBOLS

ROW = 22  # pixels per trial (traffic light) or item (summary)
CELL = 24  # pixels per item column
LABEL_WIDTH = 210
FONT = 12  # pixels: the labels' font size
LINE = 14  # pixels per line of a wrapped item heading
HEADER = 46
BAR = 380  # pixels of a summary bar (100%)
MIN_SEGMENT_TEXT = 38  # a summary segment narrower than this keeps its symbol and share in its tooltip only


# Some of the points of a criterion worth several (1 or 2 of TESTEX's 3): white, with the points written on
# it ("2/3"), between all of them (the Y colour) and none (the N colour).
PARTLY = "P"
KEYS = ("Y", PARTLY, "U", "N", "X")  # light to dark, as the figures stack them
COLOURS = {"Y": ANSWER_COLOURS["Y"], PARTLY: "#ffffff", "U": ANSWER_COLOURS["?"], "N": ANSWER_COLOURS["N"],
           "X": ANSWER_COLOURS[None]}
SYMBOLS = {"Y": ANSWER_SYMBOLS["Y"], PARTLY: "\u25d0", "U": ANSWER_SYMBOLS["?"], "N": ANSWER_SYMBOLS["N"],
           "X": ANSWER_SYMBOLS[None]}
NAMES = {"Y": ANSWER_NAMES["Y"], PARTLY: "Some of the criterion's points (n/m)", "U": ANSWER_NAMES["?"],
         "N": ANSWER_NAMES["N"], "X": ANSWER_NAMES[None]}


def answer_key(answer) -> str:
    """A name for an answer usable in ids and classes: Y, U (unclear), N, X (not rated)."""
    return {"Y": "Y", "?": "U", "N": "N"}.get(answer, "X")


@functools.lru_cache(maxsize=256)  # a page asks 2 x trials x items times, about a handful of answers
def shown_answer(answer, worth: int = 1) -> tuple[str, str]:
    """(key, text) of an answer: Y, N, ? or blank as its symbol; the points of a criterion worth several as
    "2/3", keyed Y when all, N when none, PARTLY when some."""
    if isinstance(answer, str) and answer.isdigit() and worth > 1:
        return ("Y" if answer == str(worth) else "N" if answer == "0" else PARTLY), f"{answer}/{worth}"
    key = answer_key(answer)
    return key, SYMBOLS[key]


def worth_of(rubric) -> dict[int, int]:
    """{item: the most points it scores}: 1 for a yes/no item."""
    return {item.number: getattr(item, "points", 1) for item in rubric.items}


def legend_keys(rubric) -> tuple[str, ...]:
    """The answers a legend names: PARTLY only where a criterion is worth several points."""
    return KEYS if any(worth > 1 for worth in worth_of(rubric).values()) else tuple(k for k in KEYS if k != PARTLY)


def legend(top: int, keys=KEYS) -> list[dict]:
    """Each answer's dot, symbol and name, two to a row."""
    return [{"x": 10 + (i % 2) * 300, "y": top + (i // 2) * 20, "key": key, "colour": COLOURS[key],
             "symbol": SYMBOLS[key], "name": NAMES[key]} for i, key in enumerate(keys)]


def text_width(text: str, size: float = FONT) -> float:
    """The width ``text`` takes in a sans-serif font, estimated per character: CJK and other wide characters an
    em, combining marks nothing, capitals and digits 0.65 em, anything else 0.55 em (generous, so that a cut
    label fits)."""
    def em(c: str) -> float:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            return 0.0
        if unicodedata.east_asian_width(c) in ("W", "F"):
            return 1.0
        return 0.65 if c.isupper() or c.isdigit() or c in "mwMW@%" else 0.55
    return size * sum(em(c) for c in text)


def fit(label: str, width: float = LABEL_WIDTH - 8, size: float = FONT) -> str:
    """``label`` cut with an ellipsis to what fits in ``width`` pixels (the whole label is in the row's
    <title>)."""
    if text_width(label, size) <= width:
        return label
    room, kept = width - text_width("\u2026", size), ""
    for c in label:
        if text_width(kept + c, size) > room:
            break
        kept += c
    return kept.rstrip() + "\u2026"


def wrap(text: str, width: float = LABEL_WIDTH - 8, size: float = FONT) -> list[str]:
    """``text`` in lines of at most ``width`` pixels, broken between words (inside a word only where the word
    alone is wider): an item heading shown whole."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while text_width(word, size) > width:  # a word wider than the label area: cut it where it overflows
            cut = max(1, len(fit(word, width, size)) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return lines + [line] if line else lines or [""]


def _answers(result: ScoreResult) -> list[list]:
    items = list(result.rubric.item_numbers)
    wide = result.sheet.wide("answer").reindex(columns=items)
    return wide.astype(object).where(wide.notna(), None).to_numpy().tolist()


def legend_height(keys) -> int:
    return 20 * ((len(keys) + 1) // 2) + 10


def row_marks(given: list, items: list[int], worth: dict[int, int]) -> dict:
    """A traffic-light row's dots and their symbols, drawn with few elements (a page of 1,000 trials would
    otherwise hold 11,000 <use> elements, each a shadow tree the browser builds and lays out): the dots of one
    colour and size are one <path> of zero-length strokes with round caps ("M234 11h0"), over one such path
    in the edge colour, a little wider, for their outlines; the one-character symbols are one <text> placed
    glyph by glyph through its list of x; a criterion's points ("2/3") are one <text> each."""
    paths: dict[tuple[str, int], list[str]] = {}
    symbols, xs, points = [], [], []
    for c, (answer, item) in enumerate(zip(given, items)):
        key, text = shown_answer(answer, worth[item])
        x = LABEL_WIDTH + CELL * c + CELL // 2
        several = worth[item] > 1 and key != "X"
        paths.setdefault((key, 20 if several else 16), []).append(f"M{x} 11h0")
        if several:
            points.append({"x": x, "text": text})
        else:
            symbols.append(text)
            xs.append(str(x))
    edges: dict[int, str] = {}
    for (_, width), moves in paths.items():
        edges[width] = edges.get(width, "") + "".join(moves)
    return {"edges": [{"width": width + 1.2, "path": path} for width, path in edges.items()],
            "dots": [{"colour": COLOURS[key], "width": width, "path": "".join(moves)}
                     for (key, width), moves in paths.items()],
            "symbols": "".join(symbols), "symbol_x": " ".join(xs), "points": points}


def traffic_light_figure(result: ScoreResult, prefix: str) -> dict:
    """Trials as rows, items as columns, total and band at the right."""
    items, worth, keys = list(result.rubric.item_numbers), worth_of(result.rubric), legend_keys(result.rubric)
    labels = ["(no label)" if s is None else str(s) for s in result.sheet.studies["study"].tolist()]
    lows, highs = result.scores["min_total"].tolist(), result.scores["max_total"].tolist()
    grid_right = LABEL_WIDTH + CELL * len(items)
    rows = []
    for n, (label, given, low, high) in enumerate(zip(labels, _answers(result), lows, highs)):
        band = result.bands.band_of_range(int(low), int(high))
        rows.append({"y": HEADER + n * ROW, "label": label, "short": fit(label), "band": band or "",
                     "total": str(int(low)) if low == high else f"{int(low)}\u2013{int(high)}",
                     **row_marks(given, items, worth)})
    height = HEADER + ROW * len(rows) + 8 + legend_height(keys)
    return {"id": f"{prefix}t", "width": max(grid_right + 150, 620), "height": height,
            "columns": [{"x": LABEL_WIDTH + CELL * c + CELL // 2, "number": item} for c, item in enumerate(items)],
            "total_x": grid_right + 22, "band_x": grid_right + 46, "rows": rows,
            "banded": bool(result.rubric.band_sets),
            "legend": legend(height - legend_height(keys) + 6, keys), "symbols": legend(0), "edge": EDGE, "row": ROW,
            "title": f"Traffic-light plot: the answer to each item of {len(rows)} trial(s)",
            "desc": "One row per trial, one column per item; each answer is a dot in its colour carrying its symbol "
                    "(\u2713 yes, \u2717 no, ? unclear, \u2013 not rated; a criterion worth several points shows "
                    "its points, 2/3); " + (f"the total and the band ({result.bands.name}) are at the right."
                                             if result.rubric.band_sets else "the total is at the right.")}


def summary_figure(result: ScoreResult, prefix: str) -> dict:
    """Per item, the share of trials answering Y, ?, N or not rated (all, some or none of a criterion's
    points), as one bar."""
    rubric, worth, keys = result.rubric, worth_of(result.rubric), legend_keys(result.rubric)
    answers = _answers(result)
    n = len(answers)
    rows, y = [], HEADER
    for c, item in enumerate(rubric.items):
        given = [shown_answer(row[c], worth[item.number])[0] for row in answers]
        lines = wrap(item.heading)
        height = max(ROW, LINE * len(lines) + 8)
        x, segments = LABEL_WIDTH + 10, []
        for key in KEYS:
            count = given.count(key)
            width = BAR * count / n if n else 0
            if count:
                segments.append({"x": x, "width": width, "key": key, "colour": COLOURS[key], "count": count,
                                 "share": round(100 * count / n), "symbol": SYMBOLS[key], "name": NAMES[key],
                                 "text": width >= MIN_SEGMENT_TEXT})
            x += width
        rows.append({"y": y, "height": height, "bar_y": y + (height - ROW) / 2, "lines": lines,
                     "text_y": y + (height - LINE * len(lines)) / 2 + 11, "heading": item.heading,
                     "scored": item.scored, "segments": segments})
        y += height
    height = y + 8 + legend_height(keys)
    return {"id": f"{prefix}s", "width": LABEL_WIDTH + BAR + 30, "height": height, "rows": rows, "n": n,
            "legend": legend(height - legend_height(keys) + 6, keys), "symbols": legend(0), "edge": EDGE,
            "row": ROW, "bar_x": LABEL_WIDTH + 10, "bar": BAR, "line": LINE, "grid_bottom": y,
            "title": f"Summary plot: the share of the {n} trial(s) on each answer, per item",
            "desc": "One bar per item, split by answer; each share is labelled with the answer's symbol and its "
                    "percentage (the narrowest in their tooltips)."}
