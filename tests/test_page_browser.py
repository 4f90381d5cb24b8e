"""`pedro report` opened in a real browser (issue 17): Debian's chromium, driven by Playwright and
launched with ``executable_path`` (Playwright downloads no browser here).  One browser for the module.

Checked: no console errors and no network request at all; the verdict, trial count, every total and
band in the rendered DOM; sorting and filtering by clicking and from the keyboard; the table complete
with JavaScript off; the hostile labels rendered as text (no dialog opens); a screenshot that is not
blank; at most 4 A4 pages for the bundled example; text contrast of at least 4.5:1."""

from __future__ import annotations

import io
import re
import shutil

import openpyxl
import pytest
from test_page import FORMULA_LABEL, HOSTILE_LABEL, hostile_sheet, report, scored
from test_page_review import RTL_LABELS, rtl_sheet, tampered

from pedro.engine import score_file

from conftest import ALS_EXAMPLE, item_sheet, write_xlsx

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The example's audited workbook and its report; a hostile sheet's report."""
    folder = tmp_path_factory.mktemp("browser")
    audited = scored(ALS_EXAMPLE, folder)
    report(folder, audited, name="example.html")
    report(folder, hostile_sheet(folder / "hostile.xlsx"), name="hostile.html")
    (folder / "tampered").mkdir()
    edited, _ = tampered(folder / "tampered")
    report(folder, edited, name="tampered.html", status=1)
    (folder / "rtl").mkdir()
    report(folder, scored(rtl_sheet(folder / "rtl"), folder / "rtl"), name="rtl.html")
    long_label = write_xlsx(folder / "long.xlsx", item_sheet({"L" * 300: "YYYYNNYYYYY", "Smith 2001": "YYNYNNYNNYY"}))
    report(folder, long_label, name="long.html")
    (folder / "chain").mkdir()
    forged = scored(hostile_sheet(folder / "chain" / "h.xlsx"), folder / "chain")  # one change-log row
    workbook = openpyxl.load_workbook(forged)
    workbook["Change log"]["H2"] = "N"
    workbook.save(forged)
    report(folder, forged, name="chain.html", status=1)
    return {"audited": audited, **{name: folder / f"{name}.html"
                                   for name in ("example", "hostile", "tampered", "rtl", "long", "chain")}}


class Opened:
    """A page opened in a fresh context, with what it logged, requested and tried to show."""

    def __init__(self, browser, path, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console, self.requests, self.dialogs, self.errors = [], [], [], []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.url = path.as_uri()
        self.page.goto(self.url, wait_until="load")

    def close(self):
        self.context.close()


@pytest.fixture
def opened(browser, pages):
    made = []

    def open_page(name: str, javascript: bool = True) -> Opened:
        made.append(Opened(browser, pages[name], javascript))
        return made[-1]

    yield open_page
    for page in made:
        page.close()


def visible_rows(page, table: str = "#i1-table") -> list[list[str]]:
    return page.eval_on_selector_all(f"{table} tbody tr:not([hidden])",
                                     "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")


def test_no_console_errors_and_no_request_but_the_file(opened):
    for name in ("example", "hostile"):
        shown = opened(name)
        shown.page.wait_for_timeout(200)
        assert shown.console == [] and shown.errors == [], shown.console + shown.errors
        assert shown.requests == [shown.url], shown.requests
        assert shown.dialogs == []


def test_verdict_count_totals_and_bands_are_in_the_dom(opened, pages):
    shown = opened("example")
    result = score_file(pages["audited"])
    verdict = shown.page.inner_text(".verdict")
    assert "verified" in verdict and "open findings: 0 error(s), 0 warning(s), 5 advisory" in verdict
    assert shown.page.inner_text(".n-trials") == str(len(result.sheet.studies))
    rows = {r[1]: r for r in visible_rows(shown.page)}
    assert len(rows) == len(result.sheet.studies)
    total_at = 2 + len(result.rubric.items)
    for label, total, band in zip(result.sheet.studies["study"], result.scores["total"], result.scores["band"]):
        assert rows[label][total_at] == str(int(total))
        assert band in rows[label]


def test_sorting_by_clicking_and_from_the_keyboard(opened):
    page = opened("example").page
    headers = page.locator("#i1-table thead th")
    total = headers.filter(has_text="Total")
    column = [h.strip() for h in headers.all_inner_texts()].index(total.inner_text().strip())
    total.get_by_role("button").click()
    totals = [int(r[column]) for r in visible_rows(page)]
    assert totals == sorted(totals) and len(set(totals)) > 1
    assert total.get_attribute("aria-sort") == "ascending"
    total.get_by_role("button").focus()
    page.keyboard.press("Enter")
    assert [int(r[column]) for r in visible_rows(page)] == sorted(totals, reverse=True)
    headers.filter(has_text="Trial").get_by_role("button").click()
    labels = [r[1] for r in visible_rows(page)]
    assert labels == sorted(labels, key=str.lower)


def test_filtering_by_band_and_by_finding(opened):
    page = opened("example").page
    assert page.is_visible(".filters")
    page.select_option("select[data-filter=band]", "fair")
    rows = visible_rows(page)
    assert [r[1] for r in rows] == ["Clawson 2017"]
    assert page.inner_text(".filters output") == "showing 1 of 6 trial(s)"
    page.select_option("select[data-filter=band]", "")
    page.select_option("select[data-filter=finding]", "PD401")
    assert len(visible_rows(page)) == 4 and all("PD401" in r[-1] for r in visible_rows(page))
    page.select_option("select[data-filter=finding]", "-")
    assert [r[1] for r in visible_rows(page)] == ["Clawson 2017", "van Groenestijn 2019"]
    # from the keyboard: Tab reaches the band filter, the arrow keys choose a band
    page.select_option("select[data-filter=finding]", "")
    page.focus("select[data-filter=band]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # any band -> poor -> fair
    assert page.eval_on_selector("select[data-filter=band]", "s => s.value") == "fair"
    assert len(visible_rows(page)) == 1


def test_without_javascript_the_table_is_complete(opened, pages):
    shown = opened("example", javascript=False)
    page = shown.page
    assert len(visible_rows(page)) == len(score_file(pages["audited"]).sheet.studies)
    assert not page.is_visible(".filters")  # the controls need the script: hidden, not broken
    assert page.locator("#i1-table thead button").count() == 0
    assert "verified" in page.inner_text(".verdict")
    assert page.locator("svg title").count() >= 2


def test_hostile_labels_render_as_text(opened):
    shown = opened("hostile")
    page = shown.page
    labels = [r[1] for r in visible_rows(page)]
    assert HOSTILE_LABEL in labels and FORMULA_LABEL in labels and "Zed & <b>bold</b> 2003" in labels
    assert page.locator("#i1-table tbody script, #i1-table tbody b").count() == 0
    assert page.locator("a[href^='http']").count() == 0
    assert shown.dialogs == []
    assert page.evaluate("document.scripts.length") == 1


@pytest.mark.slow  # a full-page screenshot: over 2 s
def test_a_screenshot_is_not_blank(opened):
    from PIL import Image

    page = opened("example").page
    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert image.height > 1500 and len(colours) > 50
    assert max(count for count, _ in colours) < 0.9 * image.width * image.height  # not one flat colour


def test_the_example_prints_on_at_most_four_a4_pages(opened):
    page = opened("example").page
    page.emulate_media(media="print")
    document = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", document))
    assert 1 <= pages <= 4
    # the filters are not printed, the trial table and the figures are
    assert not page.is_visible(".filters")
    assert page.is_visible("#i1-table") and page.is_visible("svg.figure-svg")


CONTRAST = """() => {
  function rgb(text) { const m = text.match(/[\\d.]+/g).map(Number); return m.length > 3 && m[3] === 0 ? null : m; }
  function lum(c) { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
  function background(el) { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c) { return c; } } return [255, 255, 255]; }
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || !el.offsetParent) { continue; }
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) { continue; }
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) { low.push(el.tagName + " " + el.className + " " + ratio.toFixed(2)); }
  }
  return low;
}"""


def test_text_contrast_is_at_least_4_5_to_1(opened):
    for name in ("example", "hostile", "tampered"):
        page = opened(name).page
        assert page.evaluate(CONTRAST) == []


def test_an_edited_cell_is_marked_on_screen_and_in_print(opened):
    page = opened("tampered").page
    marked = page.locator("#i1-table td.edited")
    assert marked.count() == 1 and marked.locator(".edit-mark").is_visible()
    assert marked.inner_text().strip().endswith("✎ was Y") or "✎ was" in marked.inner_text()
    assert page.eval_on_selector("#i1-table td.edited", "td => getComputedStyle(td).outlineStyle") == "dashed"
    log = page.inner_text("#i1-log ~ p")
    assert "nothing was edited after scoring" not in log and "found 4 discrepancy(ies)" in log
    page.emulate_media(media="print")
    assert marked.locator(".edit-mark").is_visible()  # the pencil and the recorded value print, too


TEXT_AFTER_LABELS = """li => Array.from(li.querySelectorAll("bdi")).map(bdi => {
  const after = bdi.nextSibling, range = document.createRange();
  range.setStart(after, 0); range.setEnd(after, Math.min(4, after.textContent.length));
  const label = bdi.getBoundingClientRect(), text = range.getBoundingClientRect();
  return [bdi.textContent, after.textContent.slice(0, 4), label.top === text.top ? text.left >= label.right - 1 : true];
})"""


def test_right_to_left_labels_keep_their_place_in_lists(opened):
    page = opened("rtl").page
    counts = page.locator("#i1-counts ~ ul.counts li").nth(2)
    placed = counts.evaluate(TEXT_AFTER_LABELS)
    assert {label for label, _, _ in placed} >= set(RTL_LABELS)
    assert all(right for _, _, right in placed), placed  # "(6)" stays right of the label it follows
    boundary = page.locator(".audit-lines li", has_text="on a band boundary")
    placed = boundary.evaluate(TEXT_AFTER_LABELS)
    assert len(placed) >= 3 and all(right for _, _, right in placed), placed


def test_a_300_character_label_does_not_widen_the_page(opened):
    page = opened("long").page
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    label = page.locator("#i1-table tbody th").first
    assert label.inner_text() == "L" * 300 and label.bounding_box()["width"] < 400
    assert page.evaluate("document.querySelector('.figure-svg').getBoundingClientRect().width") <= 1280


def test_a_broken_chain_shows_the_change_log_unfolded(opened):
    page = opened("chain").page
    assert page.eval_on_selector("details.changelog", "d => d.open")
    assert page.locator("tr.chain-broken-here").is_visible()
