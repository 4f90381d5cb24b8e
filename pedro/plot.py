"""Figures for manuscripts (`pedro plot`): a robvis-style traffic-light plot, a
summary bar plot of each item, and the band distribution.

Matplotlib is imported here only, with the non-interactive Agg backend, so the
CLI starts fast and plots render without a display.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .engine import ScoreResult
from .errors import OutputError
from .write.style import ANSWER_COLOURS as CELL_COLOURS
from .write.style import ANSWER_NAMES, ANSWER_SYMBOLS, MISSING_COLOUR

KINDS = ("traffic-light", "summary", "bands")
FORMATS = ("png", "svg", "pdf")
# The workbooks' palette (colour-blind safe, lightness from Y to N: see pedro.write.style), and each
# answer's symbol drawn on its colour, as robvis draws its judgements, so that no answer is told by
# colour alone.  Drawn light to dark.
ANSWER_COLOURS = {**{answer: f"#{rgb.lower()}" for answer, rgb in CELL_COLOURS.items()},
                  None: f"#{MISSING_COLOUR.lower()}"}
ORDER = ("Y", "?", "N", None)
EDGE = "#4d4d4d"


def plot(result: ScoreResult, output: Path, kind: str = "traffic-light") -> Path:
    output = Path(output)
    suffix = output.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise OutputError(f"cannot write a figure as '{output.suffix or 'no extension'}'; name the file .png, .svg "
                          "or .pdf")
    if kind not in KINDS:
        raise OutputError(f"unknown plot kind '{kind}'; choose one of {', '.join(KINDS)}")
    import matplotlib

    matplotlib.use("Agg")
    figure = {"traffic-light": traffic_light, "summary": summary, "bands": band_distribution}[kind](result)
    return _save(figure, output, suffix)


def _save(figure, output: Path, suffix: str) -> Path:
    import matplotlib.pyplot as plt

    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {output}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=f".{suffix}", dir=folder)
    os.close(handle)
    try:
        figure.savefig(temporary, format=suffix, dpi=150, bbox_inches="tight")
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
        if os.path.exists(temporary):
            os.unlink(temporary)
    return output


def _answers(result: ScoreResult):
    wide = result.sheet.wide("answer")
    return wide.reindex(columns=list(result.rubric.item_numbers))


def _symbol_marker(answer) -> str:
    """The answer's symbol as a matplotlib marker (a glyph of DejaVu Sans, which matplotlib ships)."""
    return f"${ANSWER_SYMBOLS[answer]}$"


def _legend(axes, **kwargs):
    """Each answer's dot with its symbol, and its name."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

    handles = [(Line2D([], [], linestyle="", marker="o", markersize=11, markerfacecolor=ANSWER_COLOURS[a],
                       markeredgecolor=EDGE, markeredgewidth=0.5),
                Line2D([], [], linestyle="", marker=_symbol_marker(a), markersize=6, color="black"))
               for a in ORDER]
    axes.legend(handles, [ANSWER_NAMES[a] for a in ORDER], handler_map={tuple: HandlerTuple(ndivide=1)},
                frameon=False, **kwargs)


def traffic_light(result: ScoreResult):
    """Trials as rows, items as columns, as robvis draws risk of bias: a dot
    per answer in its colour with its symbol (see ``_legend``); the total and
    band at the right.  Rows shrink with the number of trials so that 100+
    trials stay on one legible figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    answers = _answers(result)
    studies = result.sheet.studies["study"].fillna("(no label)").tolist()
    n = len(studies)
    items = list(result.rubric.item_numbers)
    row_height = 0.28 if n <= 40 else 0.16 if n <= 150 else 0.09
    label_size = 9 if n <= 40 else 6 if n <= 150 else 3.5
    figure, axes = plt.subplots(figsize=(9.5, max(2.8, 1.6 + row_height * n)))
    figure.subplots_adjust(right=0.78)
    axes.set_xlim(-0.5, len(items) - 0.5)
    axes.set_ylim(n - 0.5, -0.5)
    _draw_dots(figure, axes, answers, n, len(items))
    axes.set_xticks(range(len(items)), [f"{i}" if result.rubric.item(i).scored else f"{i}*" for i in items])
    axes.set_yticks(range(n), studies, fontsize=label_size)
    axes.set_xticks(np.arange(-0.5, len(items)), minor=True)
    axes.set_yticks(np.arange(-0.5, n), minor=True)
    axes.grid(which="minor", color="#e0e0e0", linewidth=0.8 if n <= 150 else 0.3)
    axes.tick_params(which="both", length=0)
    axes.xaxis.tick_top()
    axes.set_xlabel("PEDro item (* not scored)")
    axes.xaxis.set_label_position("top")
    scores = result.scores
    for i in range(n):
        band = scores["band"].iat[i]
        low, high = int(scores["min_total"].iat[i]), int(scores["max_total"].iat[i])
        text = f"{low}" if low == high else f"{low}-{high}"
        axes.text(len(items) - 0.1, i, f"  {text}/10  {band or ''}", va="center", ha="left", fontsize=label_size)
    axes.text(len(items) - 0.1, -0.9 if n <= 150 else -2, f"  total  band ({result.bands.name})", ha="left",
              va="bottom", fontsize=max(label_size, 6), fontweight="bold")
    for side in axes.spines.values():
        side.set_visible(False)
    _legend(axes, loc="upper center", bbox_to_anchor=(0.45, -0.02 if n > 10 else -0.08), ncol=4, fontsize=7)
    axes.set_title(f"PEDro ratings: {n} trial(s), {result.input.name}", pad=28, fontsize=10)
    return figure


def _draw_dots(figure, axes, answers, n: int, n_items: int) -> None:
    """A dot per answer, sized to its cell of the grid, with the answer's
    symbol on it.  Past 150 trials a dot would be too small to show its
    colour: each answer fills its cell instead, under its symbol."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    box = axes.get_position()
    width, height = figure.get_size_inches()
    cell = min(box.width * width * 72 / n_items, box.height * height * 72 / max(n, 1))  # points
    dot = 0.82 * cell
    codes = {answer: code for code, answer in enumerate(ORDER)}
    grid = np.array([[codes.get(v, codes[None]) for v in row] for row in answers.itertuples(index=False)]).reshape(
        n, -1)
    if n > 150:
        axes.imshow(grid, cmap=ListedColormap([ANSWER_COLOURS[a] for a in ORDER]), vmin=0, vmax=len(ORDER) - 1,
                    aspect="auto", interpolation="nearest", zorder=1)
    for answer in ORDER:
        rows, columns = np.nonzero(grid == codes[answer])
        if n <= 150:
            axes.scatter(columns, rows, s=dot ** 2, color=ANSWER_COLOURS[answer], edgecolors=EDGE, linewidths=0.5,
                         zorder=2)
        axes.scatter(columns, rows, s=(0.5 * dot) ** 2, marker=_symbol_marker(answer), color="black",
                     linewidths=0, zorder=3)


def summary(result: ScoreResult):
    """Share of trials answering Y, ?, N or nothing, for each item, light to
    dark; each share wide enough carries its answer's symbol (and its
    percentage), as the legend shows them."""
    import matplotlib.pyplot as plt
    import numpy as np

    answers = _answers(result)
    n = max(len(answers), 1)
    items = list(result.rubric.item_numbers)
    labels = [f"{i} {result.rubric.item(i).label}" + ("" if result.rubric.item(i).scored else " (not scored)")
              for i in items]
    figure, axes = plt.subplots(figsize=(9, 4.8))
    left = np.zeros(len(items))
    for answer in ORDER:
        share = np.array([((answers[i] == answer) if answer else answers[i].isna()).sum() / n * 100
                          for i in items], dtype=float)
        axes.barh(range(len(items)), share, left=left, color=ANSWER_COLOURS[answer], edgecolor=EDGE, linewidth=0.5)
        for row, (start, width) in enumerate(zip(left, share)):
            if width >= 3.5:  # narrower shares are told by their place: the order is the legend's
                text = ANSWER_SYMBOLS[answer] + (f" {width:.0f}%" if width >= 10 else "")
                axes.text(start + width / 2, row, text, ha="center", va="center", fontsize=7, color="black")
        left += share
    axes.set_yticks(range(len(items)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("trials (%)")
    axes.set_title(f"PEDro items across {len(answers)} trial(s)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    _legend(axes, loc="upper center", bbox_to_anchor=(0.4, -0.13), ncol=4, fontsize=7)
    return figure


def band_distribution(result: ScoreResult):
    """Trials per band under the chosen band set (and how many have no band)."""
    import matplotlib.pyplot as plt

    bands = result.bands
    counts = [int((result.scores["band"] == label).sum()) for label in bands.labels]
    labels = [f"{label}\n({b.min}-{b.max})" for label, b in zip(bands.labels, bands.bands)]
    unbanded = int(result.scores["band"].isna().sum())
    if unbanded:
        counts.append(unbanded)
        labels.append("no band\n(answers missing)")
    figure, axes = plt.subplots(figsize=(6.5, 4))
    bars = axes.bar(range(len(counts)), counts, color=["#6baed6"] * len(bands.labels) + ["#bdbdbd"] * bool(unbanded))
    axes.bar_label(bars, fontsize=8)
    axes.set_xticks(range(len(counts)), labels, fontsize=8)
    axes.set_ylabel("trials")
    axes.set_title(f"PEDro quality bands ({bands.name}), {len(result.scores)} trial(s)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.text(0.01, 0.0, bands.caveat, fontsize=6, color="#555555")
    return figure
