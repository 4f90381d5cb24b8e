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

KINDS = ("traffic-light", "summary", "bands")
FORMATS = ("png", "svg", "pdf")
ANSWER_COLOURS = {"Y": "#3a9a4a", "N": "#c8362c", "?": "#f0b323", None: "#bdbdbd"}
ANSWER_NAMES = {"Y": "Yes (criterion satisfied)", "N": "No", "?": "Unclear (scores 0)", None: "Not rated / unreadable"}


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


def _legend(axes, answers=("Y", "N", "?", None), **kwargs):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=ANSWER_COLOURS[a], label=ANSWER_NAMES[a]) for a in answers]
    axes.legend(handles=handles, frameon=False, **kwargs)


def traffic_light(result: ScoreResult):
    """Trials as rows, items as columns: green Y, red N, amber ?, grey missing;
    the total and band at the right.  Rows shrink with the number of trials
    so that 100+ trials stay on one legible figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    answers = _answers(result)
    studies = result.sheet.studies["study"].fillna("(no label)").tolist()
    n = len(studies)
    codes = {"Y": 0, "N": 1, "?": 2, None: 3}
    grid = np.array([[codes.get(v, 3) for v in row] for row in answers.itertuples(index=False)]).reshape(n, -1)
    row_height = 0.28 if n <= 40 else 0.16 if n <= 150 else 0.09
    label_size = 9 if n <= 40 else 6 if n <= 150 else 3.5
    figure, axes = plt.subplots(figsize=(9.5, max(2.8, 1.6 + row_height * n)))
    cmap = ListedColormap([ANSWER_COLOURS[a] for a in ("Y", "N", "?", None)])
    axes.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    items = list(result.rubric.item_numbers)
    axes.set_xticks(range(len(items)), [f"{n}" if result.rubric.item(n).scored else f"{n}*" for n in items])
    axes.set_yticks(range(n), studies, fontsize=label_size)
    axes.set_xticks(np.arange(-0.5, len(items)), minor=True)
    axes.set_yticks(np.arange(-0.5, n), minor=True)
    axes.grid(which="minor", color="white", linewidth=1.2 if n <= 150 else 0.4)
    axes.tick_params(which="minor", length=0)
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
    figure.subplots_adjust(right=0.78)
    return figure


def summary(result: ScoreResult):
    """Share of trials answering Y, N, ? or nothing, for each item."""
    import matplotlib.pyplot as plt
    import numpy as np

    answers = _answers(result)
    n = max(len(answers), 1)
    items = list(result.rubric.item_numbers)
    labels = [f"{i} {result.rubric.item(i).label}" + ("" if result.rubric.item(i).scored else " (not scored)")
              for i in items]
    figure, axes = plt.subplots(figsize=(9, 4.8))
    left = np.zeros(len(items))
    for answer in ("Y", "N", "?", None):
        share = np.array([((answers[i] == answer) if answer else answers[i].isna()).sum() / n * 100
                          for i in items], dtype=float)
        axes.barh(range(len(items)), share, left=left, color=ANSWER_COLOURS[answer], label=ANSWER_NAMES[answer],
                  edgecolor="white", linewidth=0.6)
        left += share
    axes.set_yticks(range(len(items)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("trials (%)")
    axes.set_title(f"PEDro items across {len(answers)} trial(s)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.13), ncol=4, fontsize=7)
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
