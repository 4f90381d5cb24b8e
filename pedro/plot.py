"""Figures for manuscripts (`pedro plot`): a robvis-style traffic-light plot, a
summary bar plot of each item, and the band distribution.

Matplotlib is imported here only, with the non-interactive Agg backend, so the
CLI starts fast and plots render without a display.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .audit.verify import recorded_rubric
from .audit.workbook import Key, read_previous_audit
from .engine import ScoreResult, score_file
from .errors import OutputError
from .sheets.reader import open_book
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
# Some of a criterion's points (1 or 2 of TESTEX's 3): the Y colour, hatched, and the points written on it.
PARTLY = "partly"


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


def scored_input(path: Path, sheet: str | None = None, bands: str | None = None, rubric: str | None = None
                 ) -> ScoreResult:
    """The input to draw: an item sheet scored as `pedro score` scores it; an audited workbook under the
    rubric and band set its Provenance records (as `pedro audit`, `report` and `export` read it), so that a
    TESTEX workbook is not drawn as PEDro ratings.  ``rubric`` must name the recorded one."""
    provenance = read_previous_audit(open_book(path))[1]
    if provenance is None:
        return score_file(path, sheet=sheet, bands=bands, rubric=rubric)
    loaded = recorded_rubric(provenance, rubric, Path(path).name)
    recorded = provenance.get(Key.BANDS) or None
    chosen = bands or (recorded if recorded in loaded.band_sets else None)
    return score_file(path, sheet=sheet, bands=chosen, rubric=loaded)


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


def _legend(axes, points: bool = False, **kwargs):
    """Each answer's dot with its symbol, and its name; with ``points``, the dot of a criterion worth
    several points, which carries its points ('2/3')."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

    handles = [(Line2D([], [], linestyle="", marker="o", markersize=11, markerfacecolor=ANSWER_COLOURS[a],
                       markeredgecolor=EDGE, markeredgewidth=0.5),
                Line2D([], [], linestyle="", marker=_symbol_marker(a), markersize=6, color="black"))
               for a in ORDER]
    names = [ANSWER_NAMES[a] for a in ORDER]
    if points:
        handles.append((Line2D([], [], linestyle="", marker="o", markersize=11, markerfacecolor="white",
                               markeredgecolor=EDGE, markeredgewidth=0.5),
                        Line2D([], [], linestyle="", marker="$n$", markersize=6, color="black")))
        names.append("n/max points of a criterion worth several\n(white: some; as Yes: all; as No: none)")
    axes.legend(handles, names, handler_map={tuple: HandlerTuple(ndivide=1)}, frameon=False, **kwargs)


def _is_points(answer) -> bool:
    """A criterion's points ("2"), not a yes/no answer."""
    return isinstance(answer, str) and answer.isdigit()


def _share_of(answer, worth: int):
    """A criterion's points as the summary plot counts them: Y (all), N (none) or partly (some)."""
    if not _is_points(answer):
        return answer
    return "Y" if answer == str(worth) else "N" if answer == "0" else PARTLY


def _draw_points(axes, answers, rubric, dot: float) -> None:
    """The answers of criteria worth several points: a white dot with the points on it ('2/3')."""
    for column, number in enumerate(answers.columns):
        worth = rubric.item(number).points
        if worth == 1:
            continue
        for row, answer in enumerate(answers[number].tolist()):
            if _is_points(answer):
                # coloured as the summary plot counts it (all Y, none N), so that 0/3 does not look like 3/3
                share = _share_of(answer, worth)
                colour = "white" if share == PARTLY else ANSWER_COLOURS.get(share, "white")
                axes.scatter([column], [row], s=dot ** 2, color=colour, edgecolors=EDGE, linewidths=0.5, zorder=2)
                axes.text(column, row, f"{answer}/{worth}", ha="center", va="center", fontsize=max(dot / 3.2, 3),
                          fontweight="bold" if share == "N" else "normal", zorder=3)


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
    dot = _draw_dots(figure, axes, answers, n, len(items))
    if not result.rubric.yes_no:
        _draw_points(axes, answers, result.rubric, dot)
    axes.set_xticks(range(len(items)), [f"{i}" if result.rubric.item(i).scored else f"{i}*" for i in items])
    axes.set_yticks(range(n), studies, fontsize=label_size)
    axes.set_xticks(np.arange(-0.5, len(items)), minor=True)
    axes.set_yticks(np.arange(-0.5, n), minor=True)
    axes.grid(which="minor", color="#e0e0e0", linewidth=0.8 if n <= 150 else 0.3)
    axes.tick_params(which="both", length=0)
    axes.xaxis.tick_top()
    scale = result.rubric.short_name
    unscored = len(result.rubric.scored_items) < len(items)
    axes.set_xlabel(f"{scale} {result.rubric.item_word}" + (" (* not scored)" if unscored else ""))
    axes.xaxis.set_label_position("top")
    scores = result.scores
    for i in range(n):
        band = scores["band"].iat[i]
        low, high = int(scores["min_total"].iat[i]), int(scores["max_total"].iat[i])
        text = f"{low}" if low == high else f"{low}-{high}"
        axes.text(len(items) - 0.1, i, f"  {text}/{result.rubric.max_total}  {band or ''}", va="center", ha="left",
                  fontsize=label_size)
    heading = f"  total  band ({result.bands.name})" if result.bands.bands else "  total"
    axes.text(len(items) - 0.1, -0.9 if n <= 150 else -2, heading, ha="left",
              va="bottom", fontsize=max(label_size, 6), fontweight="bold")
    for side in axes.spines.values():
        side.set_visible(False)
    _legend(axes, not result.rubric.yes_no, loc="upper center", bbox_to_anchor=(0.45, -0.02 if n > 10 else -0.08),
            ncol=4 if result.rubric.yes_no else 3, fontsize=7)
    axes.set_title(f"{scale} ratings: {n} trial(s), {result.input.name}", pad=28, fontsize=10)
    return figure


def _draw_dots(figure, axes, answers, n: int, n_items: int) -> float:
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
    # A criterion's points (-1) are drawn by _draw_points, not as an answer.
    grid = np.array([[-1 if _is_points(v) else codes.get(v, codes[None]) for v in row]
                     for row in answers.itertuples(index=False)]).reshape(n, -1)
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
    return dot


def summary(result: ScoreResult):
    """Share of trials answering Y, ?, N or nothing, for each item, light to
    dark; each share wide enough carries its answer's symbol (and its
    percentage), as the legend shows them."""
    import matplotlib.pyplot as plt
    import numpy as np

    answers = _answers(result)
    rubric = result.rubric
    if not rubric.yes_no:  # a criterion's points as Y (all of them), N (none) or partly (some)
        answers = answers.apply(lambda column: column.map(lambda a: _share_of(a, rubric.item(column.name).points)))
    n = max(len(answers), 1)
    items = list(rubric.item_numbers)
    labels = [f"{i} {rubric.item(i).label}" + ("" if rubric.item(i).scored else " (not scored)") +
              (f" (0-{rubric.item(i).points} points)" if rubric.item(i).points > 1 else "") for i in items]
    figure, axes = plt.subplots(figsize=(9, 4.8))
    left = np.zeros(len(items))
    for answer in ORDER[:1] + ((PARTLY,) if not rubric.yes_no else ()) + ORDER[1:]:
        share = np.array([((answers[i] == answer) if answer else answers[i].isna()).sum() / n * 100
                          for i in items], dtype=float)
        partly = answer == PARTLY
        axes.barh(range(len(items)), share, left=left, color=ANSWER_COLOURS["Y" if partly else answer],
                  edgecolor=EDGE, linewidth=0.5, hatch="///" if partly else None)
        for row, (start, width) in enumerate(zip(left, share)):
            if width >= 3.5:  # narrower shares are told by their place: the order is the legend's
                text = ("part" if partly else ANSWER_SYMBOLS[answer]) + (f" {width:.0f}%" if width >= 10 else "")
                axes.text(start + width / 2, row, text, ha="center", va="center", fontsize=7, color="black")
        left += share
    axes.set_yticks(range(len(items)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("trials (%)")
    axes.set_title(f"{rubric.short_name} {rubric.item_plural} across {len(answers)} trial(s)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    _legend(axes, loc="upper center", bbox_to_anchor=(0.4, -0.13), ncol=4, fontsize=7)
    if not rubric.yes_no:  # below the legend (in the axes' coordinates, as the legend is): never over it
        axes.text(0.4, -0.25, "A criterion worth several points: \u2713 = all its points, \u2717 = none, part "
                              "(hatched) = some of them.", transform=axes.transAxes, ha="center", va="top",
                  fontsize=6, color="#555555")
    return figure


def band_distribution(result: ScoreResult):
    """Trials per band under the chosen band set (and how many have no band)."""
    import matplotlib.pyplot as plt

    bands = result.bands
    if not bands.bands:
        return _total_distribution(result)
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


def _total_distribution(result: ScoreResult):
    """For a rubric without a band set (TESTEX): trials per total, 0 to the maximum, and how many have no
    known total; the figure says there is no band, rather than drawing one."""
    import matplotlib.pyplot as plt

    rubric, totals = result.rubric, result.scores["total"]
    known = [int(t) for t in totals.dropna().tolist()]
    counts = [known.count(t) for t in range(rubric.max_total + 1)]
    labels = [str(t) for t in range(rubric.max_total + 1)]
    unknown = len(totals) - len(known)
    if unknown:
        counts.append(unknown)
        labels.append("not\nknown")
    figure, axes = plt.subplots(figsize=(6.5, 4))
    bars = axes.bar(range(len(counts)), counts,
                    color=["#6baed6"] * (rubric.max_total + 1) + ["#bdbdbd"] * bool(unknown))
    axes.bar_label(bars, fontsize=8)
    axes.set_xticks(range(len(counts)), labels, fontsize=8)
    axes.set_xlabel(f"total (0-{rubric.max_total})")
    axes.set_ylabel("trials")
    axes.set_title(f"{rubric.short_name} totals, {len(totals)} trial(s)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.text(0.01, 0.0, result.bands.describe(), fontsize=6, color="#555555")
    return figure
