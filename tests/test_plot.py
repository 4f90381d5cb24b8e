"""Figures: traffic light, summary and band plots are real, sensible images."""

from __future__ import annotations

import random

import matplotlib.image
import pytest
from click.testing import CliRunner

from pedro.cli import main

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
