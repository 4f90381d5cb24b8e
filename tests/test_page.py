"""`pedro report` (issue 17) without a browser: what the HTML file holds, that every workbook value is
escaped, that the page may load nothing from anywhere (its Content-Security-Policy and its markup),
its size at 1,000 trials, the verdicts, the change log's chain per row, consensus decisions, the
agreement section, and bad input.  tests/test_page_browser.py opens the same pages in Chromium."""

from __future__ import annotations

import base64
import configparser
import fnmatch
import hashlib
import random
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from markupsafe import escape

from pedro.audit.chain import KEY_ENV
from pedro.cli import main
from pedro.engine import score_file

from conftest import ALS_EXAMPLE, REPO, item_sheet, write_xlsx

HOSTILE_LABEL = "<script>alert(1)</script>"
FORMULA_LABEL = '=HYPERLINK("http://example.com/x","click")'


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scored(source: Path, folder: Path) -> Path:
    """``source`` scored by `pedro score` into ``folder``: its audited workbook."""
    target = folder / source.name
    if target != source:
        target.write_bytes(source.read_bytes())
    out = folder / f"{target.stem}.audited.xlsx"
    result = run("score", target, "-o", out)
    assert result.exit_code in (0, 1), result.output
    return out


def report(folder: Path, *inputs, name: str = "report.html", extra=(), status: int = 0) -> str:
    """The report of ``inputs``, written by `pedro report` exiting ``status`` (1: an audit failed)."""
    out = folder / name
    result = run("report", *inputs, "-o", out, *extra)
    assert result.exit_code == status, result.output
    return out.read_text(encoding="utf-8")


def hostile_sheet(path: Path) -> Path:
    """An item sheet whose labels are markup and a formula, stored as text (as a user would type them
    after an apostrophe), and whose answers include a synonym (a change-log row when scored)."""
    rows = item_sheet({HOSTILE_LABEL: "YYYYNNYYYYY", FORMULA_LABEL: "YYNYNNYNNYY", "Plain 2001": "yYYYNNNYYYY",
                       "Zed & <b>bold</b> 2003": "YNNNNNNNNYY"}, ["Total"],
                      {HOSTILE_LABEL: [8], FORMULA_LABEL: [6], "Plain 2001": [7], "Zed & <b>bold</b> 2003": [3]})
    write_xlsx(path, rows)
    workbook = openpyxl.load_workbook(path)
    for cell in workbook.active["A"]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # text, not a formula
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def example_page(tmp_path_factory) -> tuple[Path, str]:
    """The bundled example's audited workbook and its report."""
    folder = tmp_path_factory.mktemp("example")
    audited = scored(ALS_EXAMPLE, folder)
    return audited, report(folder, audited)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <style> and <script>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.raw[self._in].append(data)


def parsed(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    return elements


def csp_of(elements: Elements) -> str:
    metas = [a for t, a in elements.tags if t == "meta" and a.get("http-equiv", "").lower() ==
             "content-security-policy"]
    assert len(metas) == 1
    return metas[0]["content"]


def test_the_example_report_shows_verdict_trials_totals_and_bands(example_page):
    audited, html = example_page
    result = score_file(audited)
    assert "verified" in html and "als-exercise.audited.xlsx" in html
    for label, total, band in zip(result.sheet.studies["study"], result.scores["total"], result.scores["band"]):
        row = re.search(rf'<tr id="i1-t\d+"[^>]*><td>\d+</td><th scope="row">{re.escape(label)}</th>(.*?)</tr>',
                        html)
        assert row, label
        assert f'data-value="{float(total)}">{int(total)}</td>' in row.group(1)
        assert f">{band}</td>" in row.group(1)
    # the same lines as `pedro audit`, and every band set of the rubric with its counts
    audit = run("audit", audited).output.splitlines()
    for line in audit[1:]:
        assert f"<li>{escape(line)}</li>" in html.replace("<bdi>", "").replace("</bdi>", "")
    for name in result.rubric.band_sets:
        assert f'<th scope="row">{name}' in html


def test_findings_are_grouped_by_rule_with_its_text_and_citation(example_page):
    from pedro.rules import RULES_BY_ID

    audited, html = example_page
    result = score_file(audited)
    for rule_id in set(result.findings["rule"]):
        rule = RULES_BY_ID[rule_id]
        section = html[html.index(f'id="i1-r-{rule_id}"'):]
        section = section[:section.index("</section>")]
        assert rule.name in section
        assert str(escape(rule.criterion)) in section
        assert section.count("<li id=") == int((result.findings["rule"] == rule_id).sum())
    # each trial's row links to its findings
    assert re.search(r'<a class="sev sev-advisory" href="#i1-f\d+">PD401</a>', html)


def test_every_workbook_value_is_escaped(tmp_path):
    sheet = hostile_sheet(tmp_path / "hostile.xlsx")
    for page in (report(tmp_path, sheet, name="sheet.html"), report(tmp_path, scored(sheet, tmp_path))):
        assert HOSTILE_LABEL not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
        assert "=HYPERLINK(&#34;http://example.com/x&#34;,&#34;click&#34;)" in page
        elements = parsed(page)
        # one script (pedro's own) and no element or attribute that points outside the page
        assert [t for t, _ in elements.tags].count("script") == 1
        for tag, attributes in elements.tags:
            for name, value in attributes.items():
                if name in ("href", "src", "action", "xlink:href") and value:
                    assert value.startswith("#"), (tag, name, value)


def test_the_title_is_escaped_in_the_page_and_in_the_print_footer(tmp_path):
    title = 'Review "X" </style><script>alert(2)</script>'
    page = report(tmp_path, ALS_EXAMPLE, extra=("--title", title))
    assert "<title>Review &#34;X&#34; &lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;</title>" in page
    elements = parsed(page)
    assert len(elements.raw["style"]) == 1 and "</style>" not in elements.raw["style"][0]
    assert "alert(2)" not in elements.raw["style"][0]  # written as CSS escapes in the running footer


def test_the_content_security_policy_allows_only_the_page_itself(example_page):
    _, html = example_page
    elements = parsed(html)
    policy = dict(part.strip().split(" ", 1) for part in csp_of(elements).split(";"))
    assert policy["default-src"] == "'none'"
    for directive in ("img-src", "font-src", "connect-src", "frame-src", "base-uri", "form-action"):
        assert policy[directive] == "'none'"
    # the inline stylesheet and script are allowed by their hashes, nothing else is
    for kind, directive in (("style", "style-src"), ("script", "script-src")):
        [text] = elements.raw[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert policy[directive] == f"'sha256-{digest}'"
    # the policy comes before anything that could load
    first = [t for t, _ in elements.tags].index("meta")
    assert html.index('http-equiv="Content-Security-Policy"') < html.index("<style>")
    assert first < 3
    assert not re.search(r"https?://", html.split("<body>")[1].replace("http://www.w3.org/2000/svg", ""))


def test_accessible_structure(example_page):
    _, html = example_page
    assert re.search(r'<html lang="en">', html)
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert html.count("<caption>") >= 3
    for svg in re.findall(r"<svg[^>]*>.*?</svg>", html, flags=re.S):
        assert 'role="img"' in svg and "<title id=" in svg and "aria-labelledby" in svg


def test_an_item_sheet_is_scored_on_the_fly_and_nothing_written_beside_it(tmp_path):
    sheet = tmp_path / "in" / "ratings.xlsx"
    sheet.parent.mkdir()
    sheet.write_bytes(ALS_EXAMPLE.read_bytes())
    before = sorted(p.name for p in sheet.parent.iterdir())
    page = report(tmp_path, sheet)
    assert sorted(p.name for p in sheet.parent.iterdir()) == before
    assert 'class="verdict verdict-not-audited"' in page and "not an audited workbook" in page
    assert "No change log" in page


def test_an_edited_audited_workbook_fails_with_the_audit_lines(tmp_path):
    audited = scored(ALS_EXAMPLE, tmp_path)
    workbook = openpyxl.load_workbook(audited)
    workbook["PEDro ratings"]["D5"] = "N"
    workbook.save(audited)
    page = report(tmp_path, audited, status=1)
    assert 'class="verdict verdict-failed"' in page
    assert "PEDro ratings!D5 edited after scoring" in page


def test_the_change_log_has_every_row_and_its_chain_status(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    audited = scored(hostile_sheet(tmp_path / "h.xlsx"), tmp_path)  # 'y' rewritten to 'Y': one row
    page = report(tmp_path, audited)
    log = page[page.index('<details class="changelog">'):page.index("</details>")]
    assert "1 row(s); chain intact" in log and log.count('class="chain-intact"') == 1
    assert "<details " in page and "<details open" not in page  # collapsed by default
    # a forged row breaks the chain from there on
    workbook = openpyxl.load_workbook(audited)
    workbook["Change log"]["H2"] = "N"
    workbook.save(audited)
    page = report(tmp_path, audited, name="forged.html", status=1)
    assert 'class="chain-broken-here"' in page and "chain BROKEN" in page
    assert '<details class="changelog" open>' in page  # a broken chain is shown, not folded away
    assert 'class="verdict verdict-failed"' in page


def test_several_inputs_add_the_agreement_section(tmp_path):
    from pedro.compare import compare_files

    ann = write_xlsx(tmp_path / "ann.xlsx", item_sheet({"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY",
                                                        "Lee 2003": "NYYYNNNYYYY", "Kim 2004": "YYYYYNYYYYY"}))
    ben = write_xlsx(tmp_path / "ben.xlsx", item_sheet({"Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYYNYY",
                                                        "Lee 2003": "NYYYNNNYYYY", "Kim 2004": "YYYYNNYYYYY"}))
    page = report(tmp_path, ann, ben)
    comparison = compare_files([ann, ben])
    section = page[page.index('id="agreement"'):]
    assert "Agreement between the assessors" in section and "Cohen's κ (95% CI)" in section
    for row in comparison.items:
        if row["cohen_kappa"] is not None:
            assert f"{row['cohen_kappa']:.2f}" in section
        assert f"{row['pabak']:.2f}" in section
    for key in ("cohen_kappa", "gwet_ac1"):
        assert str(escape(comparison.methods[key])) in section
    # the disagreement, by trial and item
    assert section.count('<th scope="row"><bdi>Smith 2001</bdi></th><td>3</td>') == 1
    assert len(comparison.disagreements) == 3
    assert page.count('class="verdict verdict-not-audited"') == 2


def test_three_assessors_get_fleiss_kappa_and_alpha(tmp_path):
    from pedro.compare import compare_files

    trials = [{"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYYYNNNYYYY"},
              {"Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYYNYY", "Lee 2003": "NYYYNNNYYYY"},
              {"Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYNYNNNYYYY"}]
    paths = [write_xlsx(tmp_path / f"{name}.xlsx", item_sheet(given)) for name, given in zip("abc", trials)]
    section = report(tmp_path, *paths).split('id="agreement"')[1]
    assert "Fleiss' κ" in section and "Krippendorff's α" in section and "Cohen's κ" not in section
    for row in compare_files(paths).items:
        for key in ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1"):
            if row[key] is not None:
                assert f"{row[key]:.2f}" in section


def test_a_workbook_sealed_with_a_key_not_given_could_not_be_verified(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "editor-does-not-have-this")
    audited = scored(ALS_EXAMPLE, tmp_path)
    monkeypatch.delenv(KEY_ENV)
    page = report(tmp_path, audited)
    assert 'class="verdict verdict-unverified"' in page and "could not be verified" in page
    assert "the key given (PEDRO_AUDIT_KEY) is missing" in page
    assert "HMAC key" in page  # the recorded fingerprint, named as a key's


def test_a_totals_only_list_is_reported_without_figures(tmp_path):
    listed = tmp_path / "totals.csv"
    listed.write_text("Study,Year,PEDro score\nHackney and Earhart,2008,6\nLi et al.,2012,3\n", encoding="utf-8")
    page = report(tmp_path, listed)
    assert "lists printed totals only" in page and "<svg" not in page
    assert page.count('<tr id="i1-t') == 2 and ">poor</td>" in page and "PD205" in page


def test_a_rubric_with_other_items_and_points(tmp_path):
    """TESTEX: 12 criteria, some worth several points, 15 in all, and a band set with no bands; the page
    takes its items and maximum from the rubric and shows a criterion's points as 'n/m'."""
    from pedro.rubric import load_rubric, packaged_rubric_files

    if "testex" not in packaged_rubric_files():
        pytest.skip("the TESTEX rubric (rubrics/testex.toml) is not installed")
    rubric = load_rubric("testex")
    table = REPO / "tests" / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"
    page = report(tmp_path, table, extra=("--rubric", "testex"))
    header = page[page.index('<table class="trials"'):page.index("</thead>")]
    assert header.count('<th scope="col" class="item') == len(rubric.items)
    assert f"(out of {rubric.max_total})" in page
    worth = {item.number: item.points for item in rubric.items}
    several = [n for n, points in worth.items() if points > 1]
    assert several and re.search(rf'<td class="a[YPN]">\d/{worth[several[0]]}</td>', page)
    assert "PEDro notes" not in page


def test_a_consensus_workbook_shows_its_decisions(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    ann = write_xlsx(tmp_path / "ann.xlsx", item_sheet({"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY"}))
    ben = write_xlsx(tmp_path / "ben.xlsx", item_sheet({"Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYNNYY"}))
    disagreements = tmp_path / "d.xlsx"
    assert run("compare", ann, ben, "--names", "Ann,Ben", "-o", disagreements).exit_code == 0
    workbook = openpyxl.load_workbook(disagreements)
    sheet = workbook["Disagreements"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Consensus") + 1).value = "N"
    sheet.cell(2, header.index("Reason") + 1).value = "no <concealment> reported"
    workbook.save(disagreements)
    consensus = tmp_path / "c.xlsx"
    assert run("consensus", disagreements, "-o", consensus, "--by", "Carol").exit_code == 0
    for source in (consensus, scored(consensus, tmp_path)):
        page = report(tmp_path, source, name=f"{source.stem}.html")
        decisions = page[page.index("Consensus decisions"):]
        decisions = decisions[:decisions.index("</table>")]
        assert "Smith 2001" in decisions and "Carol" in decisions and "no &lt;concealment&gt; reported" in decisions
        assert "Ann: Y; Ben: N" in decisions
    # Not scored yet, the consensus sheet's banner says what was checked (its chain) and what was not.
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    banner = page[page.index('<section class="verdict'):page.index("</section>")]
    assert "could not be verified" not in banner and "change log intact; answers not sealed yet" in banner
    assert "the hash chain is intact" in banner and "not checked: its answers, totals and bands" in banner


@pytest.mark.slow
def test_a_thousand_trials_stay_under_two_megabytes(tmp_path):
    rng = random.Random(17)
    prevalence = [0.75, 0.95, 0.4, 0.8, 0.1, 0.05, 0.4, 0.6, 0.4, 0.9, 0.9]  # close to PEDro's trials
    studies = {}
    for n in range(1000):
        answers = "".join("?" if rng.random() < 0.012 else "Y" if rng.random() < p else "N" for p in prevalence)
        studies[f"{rng.choice(['Smith', 'García-López', 'Nguyen', 'Müller'])} et al. {1990 + n // 30}{n:04d}"] = answers
    sheet = write_xlsx(tmp_path / "big.xlsx", item_sheet(studies, ["Total"],
                                                         {k: [v[1:].count("Y")] for k, v in studies.items()}))
    for source in (sheet, scored(sheet, tmp_path)):
        page = report(tmp_path, source, name=f"{source.stem}.html")
        assert page.count('<tr id="i1-t') == 1000
        assert len(page.encode("utf-8")) < 2_000_000


@pytest.mark.parametrize("args, phrase", [
    (["missing.xlsx", "-o", "r.html"], "missing.xlsx: no such file"),
    ([str(ALS_EXAMPLE), "-o", "r.pdf"], "name it .html"),
    ([str(ALS_EXAMPLE), "-o", "no-folder/r.html"], "folder no-folder does not exist"),
    ([str(ALS_EXAMPLE), "-o", "r.html", "--bands", "nine-level"], "unknown band set 'nine-level'"),
])
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, monkeypatch, args, phrase):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 2
    assert phrase in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_a_text_file_named_xlsx_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.xlsx").write_text("just notes\n")
    result = CliRunner().invoke(main, ["report", "notes.xlsx", "-o", "r.html"])
    assert result.exit_code == 2 and result.output.startswith("pedro: ") and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_report_help_imports_nothing_heavy():
    heavy = ("pandas", "numpy", "openpyxl", "matplotlib", "scipy", "jinja2", "python_calamine")
    code = ("import sys\nfrom pedro.cli import main\ntry:\n    main(['report', '--help'])\nexcept SystemExit:\n"
            f"    pass\nprint('HEAVY:' + ','.join(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:", done.stdout + done.stderr


def test_templates_stylesheet_and_script_are_package_data():
    """A wheel carries every file the page is made from: setup.cfg's package_data covers them all."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["pedro.page"].split(",")]
    folder = REPO / "pedro" / "page"
    shipped = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
               and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert shipped and all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in shipped), shipped
    assert "pedro.page" in config["options"]["packages"]
