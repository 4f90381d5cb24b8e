"""Figures: traffic light, summary and band plots are real, sensible images."""

from __future__ import annotations

import random
import re

import matplotlib.image
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.plot import ANSWER_COLOURS, summary, traffic_light
from pedro.write.style import ANSWER_NAMES, ANSWER_SYMBOLS

from conftest import ALS_EXAMPLE, item_sheet, write_xlsx

KINDS = ["traffic-light", "summary", "bands"]


def _plot(source, out, kind):
    return CliRunner().invoke(main, ["plot", str(source), "-o", str(out), "--kind", kind])


@pytest.mark.parametrize("kind", KINDS)
def test_example_plots_are_valid_images(tmp_path, kind):
    png = tmp_path / f"{kind}.png"
    result = _plot(ALS_EXAMPLE, png, kind)
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(png).shape
    assert 300 <= width <= 3000 and 300 <= height <= 3000, (width, height)
    assert png.stat().st_size > 10_000
    svg, pdf = tmp_path / f"{kind}.svg", tmp_path / f"{kind}.pdf"
    assert _plot(ALS_EXAMPLE, svg, kind).exit_code == 0 and "<svg" in svg.read_text()[:2000]
    assert _plot(ALS_EXAMPLE, pdf, kind).exit_code == 0 and pdf.read_bytes()[:5] == b"%PDF-"


def test_traffic_light_from_an_audited_workbook(tmp_path):
    audited = tmp_path / "audited.xlsx"
    assert CliRunner().invoke(main, ["score", str(ALS_EXAMPLE), "-o", str(audited)]).exit_code == 0
    out = tmp_path / "tl.png"
    assert _plot(audited, out, "traffic-light").exit_code == 0
    assert out.stat().st_size > 10_000


@pytest.mark.slow
def test_500_trial_traffic_light_is_legible_and_bounded(tmp_path):
    rng = random.Random(7)
    prevalence = [0.8, 0.95, 0.4, 0.7, 0.1, 0.05, 0.4, 0.6, 0.4, 0.9, 0.9]
    studies = {f"Author{i} {1990 + i % 35}": "".join(
        "." if rng.random() < 0.01 else ("Y" if rng.random() < p else "N") for p in prevalence) for i in range(500)}
    source = write_xlsx(tmp_path / "big.xlsx", item_sheet(studies))
    for kind in KINDS:
        out = tmp_path / f"big-{kind}.png"
        assert _plot(source, out, kind).exit_code == 0
        height, width, _ = matplotlib.image.imread(out).shape
        assert width <= 3000 and height <= 10_000, (kind, width, height)
        if kind == "traffic-light":
            assert height >= 3000  # one row per trial, tall enough to read (about 11 px a row)


def test_bad_figure_name_is_exit_2(tmp_path):
    result = _plot(ALS_EXAMPLE, tmp_path / "fig.jpg", "summary")
    assert result.exit_code == 2 and "name the file .png, .svg or .pdf" in result.output
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- colour is never the only signal

def _mixed(tmp_path, n: int):
    """A scored sheet of ``n`` trials whose answers cycle through Y, N, ? and blank."""
    answers = "YN?Y.NYY?NY"
    studies = {f"Author{i} {1990 + i % 30}": answers[i % 11:] + answers[:i % 11] for i in range(n)}
    return score_file(write_xlsx(tmp_path / f"mixed{n}.xlsx", item_sheet(studies)))


def _counts(result) -> dict:
    """{answer: cells} of the scored sheet (None: blank)."""
    wide = result.sheet.wide("answer")
    values = [v for row in wide.itertuples(index=False) for v in row]
    return {answer: values.count(answer) for answer in ("Y", "N", "?")} | {None: sum(v is None for v in values)}


@pytest.mark.parametrize("trials", [6, 160])
def test_traffic_light_draws_each_answers_symbol_on_its_colour(tmp_path, trials):
    """As robvis draws judgements: every cell carries its answer's symbol (a glyph marker) over the
    answer's colour (a dot, or past 150 trials a tile); the legend shows dot, symbol and name."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex
    from matplotlib.markers import MarkerStyle

    matplotlib.use("Agg")
    result = _mixed(tmp_path, trials)
    counts = _counts(result)
    figure = traffic_light(result)
    try:
        axes = figure.axes[0]
        symbols = {}
        dots = {}
        for collection in axes.collections:
            count = len(collection.get_offsets())
            colour = to_hex(collection.get_facecolor()[0])
            if colour == "#000000":  # a symbol: which one, from its glyph's outline
                drawn = collection.get_paths()[0].vertices
                for answer in ANSWER_SYMBOLS:
                    marker = MarkerStyle(f"${ANSWER_SYMBOLS[answer]}$")
                    glyph = marker.get_path().transformed(marker.get_transform()).vertices
                    if drawn.shape == glyph.shape and (drawn == glyph).all():
                        symbols[answer] = symbols.get(answer, 0) + count
            else:
                dots[colour] = dots.get(colour, 0) + count
        assert symbols == {a: c for a, c in counts.items() if c}, symbols
        if trials <= 150:
            assert dots == {ANSWER_COLOURS[a]: c for a, c in counts.items() if c}, dots
        else:
            assert axes.images, "a tile per answer"
        legend = axes.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == [ANSWER_NAMES[a] for a in ("Y", "?", "N", None)]
    finally:
        plt.close(figure)


def test_summary_plot_labels_its_shares_with_symbols(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    figure = summary(_mixed(tmp_path, 11))
    try:
        texts = [t.get_text() for t in figure.axes[0].texts]
        for answer in ("Y", "N", "?", None):  # each answer is about a ninth of every item here
            assert any(t.startswith(ANSWER_SYMBOLS[answer]) for t in texts), (answer, texts)
        assert any(re.fullmatch(r"\u2713 \d+%", t) for t in texts), texts
    finally:
        plt.close(figure)


def test_figures_use_the_colour_blind_safe_palette(tmp_path):
    """The rendered traffic light shows the palette of pedro.write.style, not a red/green one."""
    import numpy as np

    out = tmp_path / "tl.png"
    assert _plot(ALS_EXAMPLE, out, "traffic-light").exit_code == 0
    pixels = (matplotlib.image.imread(out)[:, :, :3] * 255).round().astype(int).reshape(-1, 3)
    present = {f"#{value:06x}" for value in np.unique(pixels @ np.array([1 << 16, 1 << 8, 1]))}
    for answer in ("Y", "N"):  # the example has no ? and no blank
        assert ANSWER_COLOURS[answer] in present, answer
    assert "#3a9a4a" not in present and "#c8362c" not in present
