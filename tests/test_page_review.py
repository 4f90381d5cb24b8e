"""`pedro report` after its first user review (issue 17): a workbook edited after scoring is marked in the
table and fails the command as `pedro audit` does; labels written right to left stay in place; a very long
label neither widens the page nor the figure; item headings are shown whole; citations name the rubric; the
same file twice and a rubric other than the one a workbook was scored with are refused; a broken change log
is shown unfolded; the agreement section has the weighted statistics of the totals; the README's commands
work.  The same pages in a browser: tests/test_page_browser.py."""

from __future__ import annotations

import json
import re
import shlex
import shutil

import openpyxl
import pytest
from markupsafe import escape
from test_page import report, run, scored

from pedro.page.figures import fit, text_width, wrap
from pedro.rubric import load_rubric, packaged_rubric_files

from conftest import ALS_EXAMPLE, REPO, item_sheet, write_xlsx

TESTEX_TABLE = REPO / "tests" / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"
needs_testex = pytest.mark.skipif("testex" not in packaged_rubric_files(),
                                  reason="the TESTEX rubric (rubrics/testex.toml) is not installed")
RTL_LABELS = ["\u05de\u05d7\u05e7\u05e8 \u05d0", "\u0628\u062d\u062b \u0628"]  # Hebrew and Arabic trial labels


def tampered(folder):
    """The example, scored, with one answer edited in the spreadsheet afterwards; and `pedro audit`'s report."""
    audited = scored(ALS_EXAMPLE, folder)
    workbook = openpyxl.load_workbook(audited)
    cell = workbook["PEDro ratings"]["C5"]
    cell.value = "N" if cell.value == "Y" else "Y"
    workbook.save(audited)
    audit = run("audit", audited, "--json")
    assert audit.exit_code == 1
    return audited, json.loads(audit.output)


def test_an_edited_cell_is_marked_and_the_change_log_follows_the_verdict(tmp_path):
    audited, audit = tampered(tmp_path)
    page = report(tmp_path, audited, status=1)  # as `pedro audit` exits 1
    [edit] = audit["edited_after_scoring"]
    row = re.search(rf'<th scope="row">{re.escape(edit["study"])}</th>(.*?)</tr>', page).group(1)
    cells = re.findall(r"<td class=\"(a[YUNXP][^\"]*)\"[^>]*>(.*?)</td>", row)
    marked = cells[edit["item"] - 1]
    assert "edited" in marked[0] and f"✎ was {edit['recorded']}" in marked[1]  # a symbol and text, not colour
    assert sum("edited" in c[0] for c in cells) == 1
    assert "edited after scoring (1 cell(s)" in page  # the legend
    log = page[page.index('id="i1-log"'):page.index("</section>", page.index('id="i1-log"'))]
    assert "nothing was edited after scoring" not in log
    assert "found 4 discrepancy(ies)" in log and "marked ✎ in the trial table" in log


def test_an_untouched_workbook_says_nothing_was_edited(tmp_path):
    clean = report(tmp_path, scored(ALS_EXAMPLE, tmp_path))
    assert "the audit found nothing edited after scoring" in clean and "✎ was" not in clean


def test_the_exit_status_is_documented():
    text = run("report", "--help").output
    assert "1 it was written, but an audited workbook failed its audit" in " ".join(text.split())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The HTML report"):]
    assert "**1** the report was written but an audited workbook failed its audit" in " ".join(section.split())


def rtl_sheet(folder):
    """Trials labelled right to left among others, every one on a band boundary (total 5 or 6)."""
    studies = {RTL_LABELS[0]: "YYYYYNNNYYN", "Smith 2001": "YYYYYYNNYYN", RTL_LABELS[1]: "YYYYYNNNYYN",
               "Lee 2003": "YYYYYNNNYYN"}
    return write_xlsx(folder / "rtl.xlsx", item_sheet(studies))


def test_right_to_left_labels_are_isolated_wherever_they_are_quoted(tmp_path):
    sheet = rtl_sheet(tmp_path)
    audited = scored(sheet, tmp_path)
    page = report(tmp_path, audited)
    counts = page[page.index('id="i1-counts"'):page.index("</ul>", page.index('id="i1-counts"'))]
    for label in RTL_LABELS:
        assert f"<bdi>{label}</bdi> (" in counts  # the band-boundary list
    banner = page[page.index('<ul class="audit-lines">'):page.index("</ul>", page.index('<ul class="audit-lines">'))]
    boundary = next(line for line in banner.split("<li>") if line.startswith("on a band boundary"))
    assert all(f"<bdi>{label}</bdi>" in boundary for label in RTL_LABELS)
    assert "<bdi>Lee 2003</bdi>" in boundary  # every label, whichever its direction


def test_long_and_wide_labels_are_cut_by_their_width_in_the_figure():
    assert text_width("\u7814\u7a76" * 10) > text_width("ab" * 10)  # CJK characters are wider
    assert fit("Smith 2001") == "Smith 2001"
    for label in ("x" * 300, "\u7814\u7a76" * 40, "W" * 80):
        short = fit(label)
        assert short.endswith("\u2026") and text_width(short) <= 202 + 1e-9
    assert len(fit("\u7814" * 40)) < len(fit("i" * 40))


def test_a_300_character_label_is_whole_in_the_table_and_the_figures_title(tmp_path):
    label = "L" * 300
    sheet = write_xlsx(tmp_path / "long.xlsx", item_sheet({label: "YYYYNNYYYYY", "Smith 2001": "YYNYNNYNNYY"}))
    page = report(tmp_path, sheet)
    assert f'<th scope="row">{label}</th>' in page
    assert f"<title>{label}: total" in page  # the figure's tooltip
    assert f">{fit(label)}</text>" in page and len(fit(label)) < 40


@needs_testex
def test_every_item_heading_is_shown_whole_in_the_summary(tmp_path):
    page = report(tmp_path, TESTEX_TABLE, extra=("--rubric", "testex"))
    figure = page[page.index('id="i1s-t"'):]
    figure = figure[:figure.index("</svg>")]
    shown = [" ".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", text))
             for text in re.findall(r'<text x="4"[^>]*>((?:<tspan.*?</tspan>)+)</text>', figure)]
    assert shown == [str(escape(item.heading)) for item in load_rubric("testex").items]
    assert max(len(wrap(item.heading)) for item in load_rubric("testex").items) > 1


@needs_testex
def test_citations_are_labelled_with_the_rubric_not_pedro(tmp_path):
    page = report(tmp_path, TESTEX_TABLE, extra=("--rubric", "testex"))
    assert 'class="label">PEDro:' not in page and 'class="label">PEDro scale:' not in page
    labels = set(re.findall(r'<span class="label">(.*?):</span>', page))
    assert labels and labels <= {"TESTEX", "pedro&#39;s rule (written for the PEDro scale)"}
    example = report(tmp_path, scored(ALS_EXAMPLE, tmp_path), name="example.html")
    assert set(re.findall(r'<span class="label">(.*?):</span>', example)) == {"PEDro scale"}


def test_the_same_file_twice_is_refused(tmp_path):
    audited = scored(ALS_EXAMPLE, tmp_path)
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(audited, copy)
    for second, phrase in ((audited, "is given twice"), (copy, "has the same content (SHA-256) as")):
        result = run("report", audited, second, "-o", tmp_path / "twice.html")
        assert result.exit_code == 2 and phrase in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
        assert not (tmp_path / "twice.html").exists()


def test_a_rubric_other_than_the_recorded_one_is_refused(tmp_path):
    audited = scored(ALS_EXAMPLE, tmp_path)
    result = run("report", audited, "--rubric", "testex", "-o", tmp_path / "r.html")
    assert result.exit_code == 2, result.output
    assert f"{audited.name} was scored with rubric pedro; drop --rubric" in result.output
    assert not (tmp_path / "r.html").exists()
    report(tmp_path, audited, extra=("--rubric", "pedro"))  # the same rubric, named: fine


@needs_testex
def test_the_recorded_rubric_is_used_by_default(tmp_path):
    source = tmp_path / TESTEX_TABLE.name
    shutil.copyfile(TESTEX_TABLE, source)
    audited = tmp_path / "t.audited.xlsx"
    assert run("score", source, "--rubric", "testex", "-o", audited).exit_code in (0, 1)
    page = report(tmp_path, audited)  # no --rubric: TESTEX, as recorded
    assert "Quality ratings (testex)" in page and "rubric testex" in page
    result = run("report", audited, "--rubric", "pedro", "-o", tmp_path / "p.html")
    assert result.exit_code == 2 and "was scored with rubric testex; drop --rubric" in result.output


def test_the_traffic_light_draws_few_elements_per_trial(tmp_path):
    studies = {f"Trial {n:03d}": "YN?YNYN.YNY" for n in range(60)}
    page = report(tmp_path, write_xlsx(tmp_path / "many.xlsx", item_sheet(studies)))
    figure = page[page.index('id="i1t-t"'):]
    figure = figure[:figure.index("</svg>")]
    assert figure.count("<use ") <= 5  # the legend's, not one per answer
    rows = figure.split('<g transform="translate(0 ')[1:]
    assert len(rows) == 60
    # one text of symbols per row, placed glyph by glyph, in the order of the items
    symbols = re.search(r'<text x="([\d ]+)" y="15" font-size="11" text-anchor="middle">(.*?)</text>', rows[0])
    assert len(symbols.group(1).split()) == 11 and symbols.group(2) == "✓✗?✓✗✓✗–✓✗✓"


def test_the_agreement_section_has_the_weighted_statistics_of_the_totals(tmp_path):
    from pedro.compare import compare_files

    ann = write_xlsx(tmp_path / "ann.xlsx", item_sheet({"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY",
                                                        "Lee 2003": "NYYYNNNYYYY", "Kim 2004": "YYYYYNYYYYY",
                                                        "Roe 2005": "YNNNNNNYNYY"}))
    ben = write_xlsx(tmp_path / "ben.xlsx", item_sheet({"Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYYNYY",
                                                        "Lee 2003": "NYYYNNNYYYY", "Kim 2004": "YYYYNNYYYYY",
                                                        "Roe 2005": "YNNNNNNNNYY"}))
    page = report(tmp_path, ann, ben)
    totals = page[page.index('<table class="stats totals">'):]
    totals = totals[:totals.index("</table>")]
    stats = compare_files([ann, ben]).total_stats
    assert stats["weighted"]
    for stat in stats["weighted"].values():
        value = "–" if stat["value"] is None else f"{stat['value']:.2f}"
        shown = f"{stat['ci95'][0]:.2f} to {stat['ci95'][1]:.2f}" if stat.get("ci95") else stat.get("reason") or "–"
        assert f">{value}</td><td>{escape(shown)}</td>" in totals
        if stat.get("method"):
            assert f'title="{escape(stat["method"])}"' in totals
    assert "Weighted κ, linear weights" in totals and "Gwet&#39;s AC2, quadratic weights" in totals
    ba = stats["bland_altman"]
    for value, ci in ((ba["bias"], ba.get("bias_ci95")), (ba["loa95"][0], ba.get("lower_ci95")),
                      (ba["loa95"][1], ba.get("upper_ci95"))):
        assert ci, "the Bland-Altman CIs are there to show"
        assert f">{value:.2f}</td><td>{ci[0]:.2f} to {ci[1]:.2f}</td>" in totals


def test_the_readme_commands_of_the_html_report_run(tmp_path):
    """Every `pedro ...` command in the README's HTML-report section runs from the repository, in order
    (a file one writes, the next may read), the outputs redirected into a temporary folder."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The HTML report"):]
    section = section[:section.index("\n## ")]
    commands = [shlex.split(c) for c in re.findall(r"`(pedro (?:score|report) [^`]+)`", section)]
    assert any(c[1] == "report" for c in commands) and any(c[1] == "score" for c in commands)
    made = {}
    for command in commands:
        args = [made.get(a, a) for a in command[1:]]
        if "-o" in args:
            index = args.index("-o") + 1
            made[args[index]] = str(tmp_path / args[index].replace("/", "_"))
            args[index] = made[args[index]]
        args = [str(REPO / a) if (REPO / a).is_file() and a not in made.values() else a for a in args]
        result = run(*args)
        assert result.exit_code == 0, (command, result.output)
