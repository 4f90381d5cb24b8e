"""What the HTML report shows, as plain data: one ``InputPage`` per input
(its verdict, provenance, counts, trials, findings, change log, consensus
decisions and figures) and, with several inputs, the agreement between them.

Everything here is computed by the library (``engine.score_file``,
``audit.verify``, ``compare``); this module only picks and orders it for the
template, which escapes every value (``pedro.page.render``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..audit.chain import UNKEYED, audit_key, key_fingerprint, verify_chain
from ..audit.log import CONSENSUS_RULE
from ..audit.verify import band_sensitivity, verify_workbook
from ..audit.workbook import LOG_COLUMNS, SCORES_SHEET, Key, pedro_sheet, read_previous_audit
from ..compare import assessor_names, compare_results
from ..engine import ScoreResult, score_file
from ..errors import InputError
from ..normalise import SUBTOTAL_SCORE, answer_text, reported_subtotals
from ..report import audit_text
from ..rubric import Rubric, load_rubric, packaged_rubric_files
from ..rules import RULES_BY_ID, SEVERITIES
from ..runtime import current_user, file_sha256, now_utc
from ..scoring import reported_totals
from ..sheets.reader import open_book
from .figures import NAMES, SYMBOLS, legend_keys, shown_answer, summary_figure, traffic_light_figure, worth_of

VERIFIED, FAILED, UNVERIFIED, NOT_AUDITED = "verified", "failed", "unverified", "not-audited"
NO_LABEL = "(no label)"
NO_BAND = "(no band)"


@dataclass
class Verdict:
    state: str  # VERIFIED, FAILED, UNVERIFIED (could not be checked) or NOT_AUDITED
    headline: str
    lines: list[str]  # as `pedro audit` prints them, or why there is nothing to verify
    report: dict | None = None  # `pedro audit`'s report, where the workbook could be verified

    @property
    def failed(self) -> bool:
        return self.state == FAILED


@dataclass
class Trial:
    anchor: str
    row: object
    label: str
    # per rubric item: (key, text, the cell as typed when unreadable, (recorded, found) when edited after scoring)
    answers: list[tuple]
    total: str  # the computed total, or its attainable range "5-7"
    total_sort: float
    reported: object
    difference: object
    band: str
    band_rank: int  # the band's place in its band set, lowest first; -1 without a band
    findings: list[list]  # per rule: [anchor of the trial's first finding, rule id, severity, how many]
    edited: tuple | None = None  # (recorded, found) where a cell of the trial outside its answers was edited
    # per rubric subtotal: (computed, or its range "3-4"; sort value; as the sheet printed it, or None; whether
    # the printed one differs from the computed)
    subtotals: list[tuple] = field(default_factory=list)


@dataclass
class SubtotalColumn:
    """One of the rubric's subtotals as the trial table shows it, with how many trials it is known for and
    how many the sheet printed it for (and of those, how many differ from the computed one)."""
    label: str
    points: int  # the most it can be
    printed: bool  # the sheet prints this subtotal: the table shows a column of the printed values
    known: int
    printed_count: int
    differing: int


@dataclass
class FindingGroup:
    rule: str
    name: str
    severity: str
    summary: str  # what the rule checks
    criterion: str  # the criterion or note it enforces, with its source, as the rubric cites it
    findings: list[dict]
    cited_by: str = ""  # whose text ``criterion`` is: the rubric's short name, or pedro's own rule


@dataclass
class InputPage:
    number: int
    name: str  # the assessor's name with several inputs, else the file's name
    path: Path
    result: ScoreResult
    verdict: Verdict
    provenance: list[tuple[str, str]]
    band_counts: dict
    band_changes: list[dict]
    on_boundary: list[dict]
    counts: dict
    trials: list[Trial]
    finding_groups: list[FindingGroup]
    change_log: list[dict] | None  # None: the input has no change log (not written by pedro)
    chain: dict | None
    decisions: list[dict]
    figures: dict = field(default_factory=dict)
    subtotals: list[SubtotalColumn] = field(default_factory=list)

    @property
    def bands(self):
        return self.result.bands

    @property
    def banded(self) -> bool:
        """The rubric names band sets: a rubric without any (TESTEX) says why once and shows no band column."""
        return bool(self.result.rubric.band_sets)

    @property
    def change_to(self) -> dict:
        """{band set: how trials move to it from the band set used}."""
        return {change["to"]: change for change in self.band_changes}

    @property
    def labels(self) -> set[str]:
        """Every trial label: isolated (<bdi>) wherever the page quotes one in running text."""
        return {t.label for t in self.trials}

    @property
    def edits(self) -> int:
        """How many cells of the trial table the audit found edited after scoring."""
        return sum(1 for t in self.trials for a in t.answers if a[3]) + sum(1 for t in self.trials if t.edited)

    @property
    def has_reported_totals(self) -> bool:
        return any(t.reported is not None for t in self.trials)


@dataclass
class Page:
    title: str
    generated: str
    by: str
    version: str
    rubric: Rubric
    inputs: list[InputPage]
    comparison: object = None  # pedro.compare.Comparison with several inputs
    answer_legend: list[tuple] = field(default_factory=list)  # (key, symbol, name) of each answer shown

    @property
    def failed(self) -> bool:
        """Any input whose audit failed: `pedro report` then exits 1, as `pedro audit` does."""
        return any(i.verdict.failed for i in self.inputs)

    @property
    def labels(self) -> set[str]:
        return set().union(*(i.labels for i in self.inputs), *(self.comparison.names if self.comparison else ()))

    @property
    def total_rows(self) -> list[dict]:
        return total_rows(self.comparison.total_stats) if self.comparison else []

    @property
    def worth(self) -> dict[int, int]:
        """{item: the most points it scores}."""
        return worth_of(self.rubric)


def build_page(paths: list[Path], bands: str | None = None, title: str | None = None, sheet: str | None = None,
               rubric: Rubric | str | None = None) -> Page:
    """Score and verify every input and gather what the report shows."""
    paths = [Path(p) for p in paths]
    refuse_duplicates(paths)
    rubric, results = scored_inputs(paths, bands, sheet, rubric)
    names = assessor_names(results, None) if len(results) > 1 else [results[0].input.name]
    pages = [input_page(number, name, result) for number, (name, result) in enumerate(zip(names, results), start=1)]
    comparison = compare_results(results, names) if len(results) > 1 else None
    default_title = f"Quality ratings ({rubric.name}): " + ", ".join(r.input.name for r in results)
    return Page(title=title or default_title, generated=now_utc(), by=current_user(), version=__version__,
                rubric=rubric, inputs=pages, comparison=comparison,
                answer_legend=[(key, SYMBOLS[key], NAMES[key]) for key in legend_keys(rubric)])


def refuse_duplicates(paths: list[Path]) -> None:
    """Refuse one file given twice (by its path or its content): it would agree with itself perfectly."""
    seen: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            continue  # score_file says what is wrong with it
        for key in (str(path.resolve()), file_sha256(path)):
            if key in seen:
                same = "is given twice" if seen[key].resolve() == path.resolve() else \
                    f"has the same content (SHA-256) as {seen[key].name}"
                raise InputError(f"{path.name} {same}: a report compares different assessors' files, so give "
                                 "each file once")
            seen[key] = path


def scored_inputs(paths: list[Path], bands, sheet, rubric) -> tuple[Rubric, list[ScoreResult]]:
    """The rubric of the report and every input scored under it: the rubric given, else the one the audited
    workbooks recorded, else the default.  An audited workbook scored with another rubric than the one given
    is refused: its columns would be read as another rubric's items."""
    given = rubric
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    try:
        results = [_scored(path, bands, sheet, rubric) for path in paths]
    except RubricMismatch as mismatch:  # the default rubric cannot read a workbook scored with another
        results, other = [], {mismatch.name: mismatch.used}
    else:
        recorded = {r.input.name: r.previous_provenance.get(Key.RUBRIC) for r in results if r.audited}
        other = {name: used for name, used in recorded.items() if used and used != rubric.name}
        if len(set(recorded.values()) - {None, ""}) > 1:
            used = ", ".join(sorted(set(recorded.values()) - {None, ""}))
            raise InputError(f"the audited workbooks were scored with different rubrics ({used}): a report "
                             "compares inputs scored with one rubric")
    if not other:
        return rubric, results
    name, used = next(iter(other.items()))
    if given is not None:
        raise RubricMismatch(name, used, rubric.name)
    if used not in packaged_rubric_files():
        raise InputError(f"{name} was scored with rubric {used}, which pedro does not ship: give its file with "
                         "--rubric FILE")
    rubric = load_rubric(used)
    try:
        return rubric, [_scored(path, bands, sheet, rubric) for path in paths]
    except RubricMismatch as mismatch:
        raise InputError(f"the audited workbooks were scored with different rubrics ({used}, {mismatch.used}): a "
                         "report compares inputs scored with one rubric") from None


class RubricMismatch(InputError):
    """An audited workbook the rubric asked for cannot read: it was scored with another."""

    def __init__(self, name: str, used: str, given: str):
        super().__init__(f"{name} was scored with rubric {used}; drop --rubric (the report uses the rubric a "
                         f"workbook was scored with) or score its item sheet again with --rubric {given}")
        self.name, self.used = name, used


def recorded_rubric(path: Path) -> str | None:
    """The rubric an audited workbook's Provenance names; None for any other input."""
    try:
        _, provenance = read_previous_audit(open_book(path))
    except InputError:
        return None
    return (provenance or {}).get(Key.RUBRIC)


def _scored(path: Path, bands: str | None, sheet: str | None, rubric: Rubric) -> ScoreResult:
    """The input scored; an audited workbook under the band set it recorded unless ``bands`` says otherwise.
    Where ``rubric`` cannot read an audited workbook scored with another, a RubricMismatch says so."""
    try:
        result = score_file(path, sheet=sheet, bands=bands, rubric=rubric)
    except InputError:
        used = recorded_rubric(path)
        if used and used != rubric.name:
            raise RubricMismatch(path.name, used, rubric.name) from None
        raise
    recorded = result.previous_provenance.get(Key.BANDS)
    if bands is None and recorded in rubric.band_sets and recorded != result.bands.name:
        result = score_file(path, sheet=sheet, bands=recorded, rubric=rubric)
    return result


def input_page(number: int, name: str, result: ScoreResult) -> InputPage:
    finding_groups, anchors = findings_by_rule(result, number)
    log, chain = change_log(result)
    judged = verdict(result, chain)
    band_counts, band_changes, on_boundary = band_sensitivity(result)
    trials = trial_rows(result, number, anchors, edited_cells(judged.report))
    return InputPage(
        number=number, name=name, path=result.input, result=result, verdict=judged,
        provenance=provenance_rows(result), band_counts=band_counts, band_changes=band_changes,
        on_boundary=on_boundary, counts=result.counts,
        trials=trials, subtotals=subtotal_columns(result, trials), finding_groups=finding_groups, change_log=log,
        chain=chain,
        decisions=[row for row in log or [] if row["rule"] == CONSENSUS_RULE],
        figures={"traffic": traffic_light_figure(result, f"i{number}"),
                 "summary": summary_figure(result, f"i{number}")})


def verdict(result: ScoreResult, chain: dict | None = None) -> Verdict:
    """`pedro audit`'s verdict and lines for an audited workbook; for a consensus sheet not scored yet, what
    could be checked (its change log) and what could not; for any other sheet, that it is not an audited one."""
    if not result.audited:
        return Verdict(NOT_AUDITED, "not an audited workbook",
                       [f"{result.input.name} is an item sheet: it was scored for this report and nothing was "
                        "written beside it; there is no change log or seal to verify. Run `pedro score` on it for "
                        "an audited workbook that `pedro audit` can verify."])
    if pedro_sheet(result.sheet_names, SCORES_SHEET) is None and chain is not None:
        return consensus_verdict(result, chain)
    try:
        report = verify_workbook(result.input, rubric=result.rubric)
    except InputError as exc:  # sealed with another key
        return Verdict(UNVERIFIED, "could not be verified", [str(exc)])
    lines = audit_text(report).splitlines()
    return Verdict(VERIFIED if report["ok"] else FAILED, lines[0].split(": ", 1)[-1], lines[1:], report)


def consensus_verdict(result: ScoreResult, chain: dict) -> Verdict:
    """A consensus sheet (`pedro consensus`'s output, not scored yet) has a change log but no seal on its
    answers: say which of the two was checked."""
    name, rows = result.input.name, len(result.previous_changes)
    if chain["ok"]:
        checked = f"checked: its change log ({rows} row(s)): the hash chain is intact"
    else:
        checked = f"checked: its change log ({rows} row(s)): the hash chain is BROKEN: {chain['reason']}"
    return Verdict(
        UNVERIFIED if chain["ok"] else FAILED,
        "change log intact; answers not sealed yet" if chain["ok"] else "change log broken; answers not sealed yet",
        [checked, "not checked: its answers, totals and bands: a consensus sheet has no Scores sheet and no "
                  "recorded cells until it is scored, so an edit since consensus cannot be detected",
         f"to seal it: pedro score {name}, then pedro audit the workbook it writes"])


def edited_cells(report: dict | None) -> dict:
    """{(trial label, item or None): (recorded, found)} for each cell the audit found edited after scoring."""
    if not report:
        return {}
    return {(e["study"], e["item"]): (e["recorded"], e["found"]) for e in report.get("edited_after_scoring", [])}


def provenance_rows(result: ScoreResult) -> list[tuple[str, str]]:
    """(what, value) rows: the file and its hash, where it came from, rubric, band set, versions, who, when, key."""
    previous = result.previous_provenance
    rows = [("File", result.input.name), ("File SHA-256", result.input_sha256)]
    if result.audited:
        rows += [("Scored from", f"{previous.get(Key.ORIGINAL_INPUT, '')}"),
                 ("Scored from SHA-256", previous.get(Key.ORIGINAL_INPUT_SHA256, "")),
                 ("Item sheet", previous.get(Key.INPUT_SHEET, result.sheet.sheet)),
                 ("Written by", previous.get(Key.TOOL, "")),
                 ("Scored by", previous.get(Key.USER, "")), ("Scored at", previous.get(Key.TIME, "")),
                 ("Key fingerprint", _fingerprint(previous.get(Key.KEY_FINGERPRINT)))]
    else:
        rows += [("Item sheet", result.sheet.sheet), ("Key fingerprint", "not sealed (not an audited workbook)")]
    rubric, bands = result.rubric, result.bands
    rows += [("Rubric", f"{rubric.name}: {rubric.title}" if rubric.title else rubric.name),
             ("Rubric SHA-256", rubric.sha256),
             ("Band set", f"{bands.name}: {bands.describe()}"), ("Band set source", bands.source)]
    if not rubric.band_sets:  # why there is no band is said once, under Counts
        return rows[:-2] + [("Band set", "none: the rubric names no band set (see Counts)")]
    if bands.caveat:
        rows.append(("Band set caveat", bands.caveat))
    return rows


def _fingerprint(recorded: str | None) -> str:
    if not recorded:
        return "not recorded (written by an earlier pedro)"
    if recorded == UNKEYED:
        return "none: sealed without a key (plain SHA-256)"
    given = audit_key()
    same = given is not None and key_fingerprint(given) == recorded
    return f"{recorded} ({'the key given matches' if same else 'HMAC key; not the key given' if given else 'HMAC key'})"


def _text(value) -> str:
    return "" if value is None else str(value)


def trial_rows(result: ScoreResult, number: int, anchors: dict, edited: dict | None = None) -> list[Trial]:
    """One row per trial: its answers to every rubric item (each marked where the audit found it edited after
    scoring), total, printed total, band, finding links."""
    edited = edited or {}
    studies, scores, items = result.sheet.studies, result.scores, list(result.rubric.item_numbers)
    wide = result.sheet.wide("answer").reindex(columns=items)
    answers = wide.astype(object).where(wide.notna(), None).to_numpy().tolist()
    typed = unreadable_cells(result)
    worth = worth_of(result.rubric)
    reported, differences = reported_totals(result.sheet, result.score_table, result.rubric)
    subtotals = trial_subtotals(result)
    rows = []
    lows, highs = scores["min_total"].tolist(), scores["max_total"].tolist()
    for position, (index, label, row) in enumerate(zip(studies.index, studies["study"].tolist(),
                                                       studies["row"].tolist())):
        low, high = int(lows[position]), int(highs[position])
        band = result.bands.band_of_range(low, high)
        label = NO_LABEL if label is None else _text(label)
        rows.append(Trial(
            anchor=f"i{number}-t{position + 1}", row=row, label=label, edited=edited.get((label, None)),
            answers=[(*shown_answer(a, worth[item]), typed.get((index, item)), edited.get((label, item)))
                     for a, item in zip(answers[position], items)],
            total=str(low) if low == high else f"{low}\u2013{high}", total_sort=(low + high) / 2,
            reported=reported[position], difference=differences[position], band=band or NO_BAND,
            band_rank=result.bands.labels.index(band) if band else -1,
            findings=list(anchors.get(index, {}).values()), subtotals=subtotals[position]))
    return rows


def trial_subtotals(result: ScoreResult) -> list[list[tuple]]:
    """Per trial, per subtotal of the rubric: (computed, or its attainable range while an item of it is
    unknown; its sort value; as the sheet printed it, or None; whether the printed value is not the computed
    one).  Empty lists for a rubric without subtotals."""
    rubric, scores = result.rubric, result.scores
    printed = reported_subtotals(result.sheet, rubric)
    rows = [[] for _ in range(len(result.sheet.studies))]
    for subtotal in rubric.subtotals:
        lows = scores[f"{SUBTOTAL_SCORE}{subtotal.name}_min"].tolist()
        highs = scores[f"{SUBTOTAL_SCORE}{subtotal.name}_max"].tolist()
        shown = printed.get(subtotal.name, [None] * len(rows))
        for position, (low, high, given) in enumerate(zip(lows, highs, shown)):
            low, high = int(low), int(high)
            rows[position].append((str(low) if low == high else f"{low}\u2013{high}", (low + high) / 2, given,
                                   given is not None and (low != high or given != low)))
    return rows


def subtotal_columns(result: ScoreResult, trials: list[Trial]) -> list[SubtotalColumn]:
    """The rubric's subtotals as the trial table and the counts show them."""
    printed = reported_subtotals(result.sheet, result.rubric)
    return [SubtotalColumn(
        label=subtotal.label, points=result.rubric.subtotal_points(subtotal), printed=subtotal.name in printed,
        known=int(result.scores[f"{SUBTOTAL_SCORE}{subtotal.name}"].notna().sum()),
        printed_count=sum(1 for t in trials if t.subtotals[k][2] is not None),
        differing=sum(1 for t in trials if t.subtotals[k][3])) for k, subtotal in enumerate(result.rubric.subtotals)]


def unreadable_cells(result: ScoreResult) -> dict:
    """{(study index, item): the cell as typed} for each answer pedro cannot read."""
    return {(i, item): answer_text(raw) for i, item, raw in result.sheet.unrecognised()}


def findings_by_rule(result: ScoreResult, number: int) -> tuple[list[FindingGroup], dict]:
    """The findings grouped by rule, worst severity first, each with an anchor the trial table links to;
    and {study index: {rule: [anchor of its first finding, rule, severity, how many]}}."""
    findings = result.findings
    columns = ("rule", "severity", "cell", "study", "study_index", "item", "value", "message")
    groups: dict[str, list[dict]] = {}
    anchors: dict = {}
    trial_of = {index: f"i{number}-t{position}" for position, index in enumerate(result.sheet.studies.index, start=1)}
    for position, values in enumerate(zip(*(findings[c].tolist() for c in columns)), start=1):
        finding = dict(zip(columns, values))
        finding["anchor"] = f"i{number}-f{position}"
        finding["study"] = None if finding["study"] is None else _text(finding["study"])
        groups.setdefault(finding["rule"], []).append(finding)
        index = finding["study_index"]
        known = index is not None and index == index  # NaN for a sheet-level finding
        finding["trial"] = trial_of.get(int(index)) if known else None
        if known:  # a trial links to its first finding of each rule, with how many it has
            links = anchors.setdefault(int(index), {})
            first = links.setdefault(finding["rule"], [finding["anchor"], finding["rule"], finding["severity"], 0])
            first[3] += 1
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ordered = sorted(groups, key=lambda rule: (rank.get(groups[rule][0]["severity"], len(rank)), rule))
    return [_group(rule, groups[rule], result.rubric) for rule in ordered], anchors


def _group(rule_id: str, findings: list[dict], rubric: Rubric) -> FindingGroup:
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:  # a finding of a rule this pedro does not know: shown as found
        return FindingGroup(rule_id, rule_id, findings[0]["severity"], "", "", findings)
    cited = rule.source(rubric)
    own = rule.cited_by_rubric(rubric)
    return FindingGroup(rule.id, rule.name, findings[0]["severity"], rule.summary_for(rubric), cited, findings,
                        cited_by=short_name(rubric) if own else "pedro's rule (written for the PEDro scale)")


def short_name(rubric: Rubric) -> str:
    """What a rubric is called in running text: its title up to the first parenthesis or colon ("PEDro scale",
    "TESTEX"), else its name."""
    short = (rubric.title or "").split("(")[0].split(":")[0].strip()
    return short or rubric.name


def change_log(result: ScoreResult) -> tuple[list[dict] | None, dict | None]:
    """Every row of the input's change log with its chain status, and the chain's verdict; (None, None) for an
    input pedro did not write."""
    if not result.audited:
        return None, None
    log = result.previous_changes
    rows = [list(r) for r in log[LOG_COLUMNS].itertuples(index=False)] if len(log) else []
    chain = verify_chain([r[:-1] for r in rows], [r[-1] for r in rows], audit_key())
    bad = chain["first_bad_row"]
    shown = []
    for number, row in enumerate(rows, start=1):
        entry = {column: _text(value) for column, value in zip(LOG_COLUMNS, row)}
        entry["number"] = number
        entry["status"] = "intact" if bad is None or number < bad else "broken here" if number == bad else \
            "after the break"
        shown.append(entry)
    return shown, chain


STATISTIC_NAMES = {"weighted_kappa_linear": "Weighted \u03ba, linear weights",
                   "weighted_kappa_quadratic": "Weighted \u03ba, quadratic weights",
                   "gwet_ac2_linear": "Gwet's AC2, linear weights",
                   "gwet_ac2_quadratic": "Gwet's AC2, quadratic weights"}


def total_rows(stats: dict) -> list[dict]:
    """The statistics of the totals as table rows (name, value, 95% CI, why there is none, n, method), read from
    `pedro compare`'s dicts as they are: a statistic added there shows up here under its key."""
    rows = []
    for group in ("icc", "weighted"):
        for key, stat in (stats.get(group) or {}).items():
            if isinstance(stat, dict):
                rows.append(_statistic(STATISTIC_NAMES.get(key, key.replace("_", " ")), stat, stat.get("value"),
                                       stat.get("ci95"), stats.get("n")))
    agreement = stats.get("bland_altman") or {}
    pairs = {"": agreement} if "bias" in agreement else \
        {f"{k}: ": v for k, v in agreement.items() if isinstance(v, dict)}
    for pair, ba in pairs.items():
        limits, n = ba.get("loa95") or (None, None), stats.get("n")
        named = f"{pair}Bland\u2013Altman"
        rows += [_statistic(f"{named} bias (mean difference)", ba, ba.get("bias"), ba.get("bias_ci95"), n),
                 _statistic(f"{named} lower limit of agreement", ba, limits[0], ba.get("lower_ci95"), n),
                 _statistic(f"{named} upper limit of agreement", ba, limits[1], ba.get("upper_ci95"), n)]
    return rows


def _statistic(name: str, stat: dict, value, ci, n=None) -> dict:
    return {"name": name, "value": value if isinstance(value, (int, float)) else None,
            "ci": list(ci) if ci and len(ci) == 2 else None, "reason": stat.get("reason"),
            "n": stat.get("n", n), "method": stat.get("method")}
