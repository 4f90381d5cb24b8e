"""Ratings for other tools (`pedro export`): the table robvis draws, and a tidy long table.

``--to robvis`` writes the table that robvis's ``rob_traffic_light(data, tool = "Generic")`` and
``rob_summary(data, tool = "Generic", overall = TRUE)`` read as they are: the study, one column per
item (a "domain"), the overall judgement, the weight.  Everything about that layout was checked
against robvis itself (github.com/mcguinlu/robvis), not guessed:

- ``data_raw/data_rob1.csv`` (commit e13215c84e30ffd8cc4566ca45dcfecc621e2d5f), the example data of
  the "Generic" (formerly "ROB1") template: header ``Study, <domain names>, Overall, Weight``; the
  domain columns are headed with the domains' own names, because the Generic template prints the
  column names in the figure (vignettes/Introduction_to_robvis.Rmd, section 'The "ROB1" template');
  judgements ``Low``, ``Unclear``, ``High``, ``No information``; a numeric weight.  A copy is in
  tests/data/robvis/ and the tests compare the export with it column for column.
- ``R/rob_traffic_light.R`` (``rob_traffic_light_generic``): the last column is taken as weights
  and dropped only where every value matches ``^[-]{0,1}[0-9]{0,}.{0,1}[0-9]{1,}$``, so weights
  are written as plain decimals (never ``1e-05``) and every trial has one; with ``overall = TRUE``
  (its default) the column before the weights is drawn as the Overall column, with ``overall =
  FALSE`` as one more domain.  Dots in column names are turned into spaces, which restores the
  spaces R's ``read.csv`` turned into dots but not a hyphen, ">" or "%" it turned into dots too:
  only ``read.csv(..., check.names = FALSE)`` keeps the labels as written.
- ``R/rob_summary.R`` (``rob_summary_generic``): it assumes an Overall column is present.  With
  ``overall = FALSE``, the default of robvis 0.3.0 and of the GitHub versions of its time, it drops
  the second-to-last column, which would be the last item were there no Overall column; the current
  GitHub version (default ``overall = TRUE``) draws every column before the weights and sets the
  Overall bar in bold.  So the Overall column is always written, and ``overall = TRUE`` is right for
  both functions in every version.
- ``R/helpers.R`` (``get_judgements("Generic")`` and ``clean_data``) and the Generic templates: robvis
  reads a judgement by its initials and draws four levels of it as written: ``Low``, ``Unclear``,
  ``High``, ``No information``.  ``rob_traffic_light`` draws "Some concerns" and "Moderate" as
  "Unclear" (``u`` and ``m`` become ``s``); ``rob_summary`` reads "Not applicable" by its first
  letter, as "No information", and in some versions has no level for "Critical"; those words are
  refused (``GENERIC_RELABELS``) rather than written to be drawn as something else.  (rob_summary's
  legend calls the ``s`` level "Some concerns", whichever word was written.)  A blank cell would read
  as "Not applicable", so nothing is left blank; ``check_first_row`` refuses data whose first row
  holds "Study", "Overall" or "Weight", so the header is one row and only one.

Choices, each stated where it is made: an item met is "Low", not met "High", unclear "Unclear",
missing "No information", part of a several-point criterion "Unclear" too (``--judgements``): it
is the Generic template's only level between Low and High, the one "Some concerns" was drawn as
anyway; the tidy table keeps the points.  The overall judgement follows the trial's band
(``--overall``; ``default_overall``); a rubric without band sets (TESTEX) gives every trial "No
information" and says so (``Exported.notes``).  The weight is 1 for every trial unless ``--weight``
names a column of the item sheet; items that do not count towards the total (PEDro's item 1,
eligibility, which bears on external validity) are left out of the robvis table unless asked for
(``include_unscored``); the domain names are the items' labels without their numbers, since
``read.csv`` would turn "2 Random allocation" into "X2.Random.allocation".

``--to csv`` writes a tidy table, one row per trial per item (``TIDY_COLUMNS``): the assessor is the
one the workbook records (or ``--assessor``), NA where none is; who ran `pedro score` is a column of
its own, ``scored_by``.  Both files are UTF-8 *without* a byte-order mark (R's ``read.csv`` keeps a
BOM in the first column's name, which would then be "X.U.FEFF.Study"), with ``NA`` where a value is
missing (the missing-value marker of both R's ``read.csv`` and pandas' ``read_csv`` by default), and
with every label exactly as in the workbook: a CSV read by R or pandas is no formula context, so
nothing is prefixed; ``excel_safe`` (``--excel-safe``) puts an apostrophe before text Excel would
run as a formula, for a file meant to be opened there.

The input is an audited workbook (what `pedro score` writes) or a plain item sheet, scored on the
fly.  An audited workbook is scored under the rubric recorded in it (another ``--rubric`` is
refused: its columns were read as that rubric's items) and first verified as `pedro audit` verifies
it; one that does not verify is refused (exit 2) unless ``unverified`` is set, when its cells are
exported as they are now and the result says why it did not verify.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from .audit.verify import recorded_rubric as verified_rubric
from .audit.verify import verify_workbook
from .audit.workbook import STUDY_COLUMN, Key, read_previous_audit
from .compare import part_answers
from .engine import ScoreResult, score_file
from .errors import InputError, PedroError
from .normalise import answer_text
from .rubric import Item, Rubric, load_rubric
from .sheets.reader import open_book
from .text import header_key
from .write.files import atomic_write, check_output_path, csv_safe

FORMATS = ("robvis", "csv")
# The judgements robvis's Generic template draws as written (data_rob1.csv uses these and only these).
ROBVIS_JUDGEMENTS = ("Low", "Unclear", "High", "No information")
# robvis's other judgement words, refused: what its Generic template makes of each (see the module's docstring).
GENERIC_RELABELS = {
    "Some concerns": "rob_traffic_light draws it as \"Unclear\"",
    "Moderate": "rob_traffic_light draws it as \"Unclear\"",
    "Critical": "some versions of rob_summary have no Critical level and leave it out",
    "Not applicable": "rob_summary reads it as \"No information\"",
}
# What each answer becomes: the canonical answers, a multi-point criterion partly met, and no answer.
JUDGEMENT_KEYS = ("Y", "N", "?", "partial", "missing")
DEFAULT_JUDGEMENTS = {"Y": "Low", "N": "High", "?": "Unclear", "partial": "Unclear", "missing": "No information"}
# robvis's layout: the study column (named as in data_rob1.csv, which pedro's Scores sheet also calls it),
# then the domains, then these two.
OVERALL_COLUMN, WEIGHT_COLUMN = "Overall", "Weight"
# The tidy table: the assessor column is named as the Provenance key it is read from; "scored_by" is who
# ran `pedro score` (the Provenance's user), kept apart because it need not be who rated.
TIDY_COLUMNS = ("study", "item", "label", "answer", "points", "max_points", Key.ASSESSOR, "scored_by", "cell")
# Under a rubric with criteria in parts (TESTEX's 6a-6c, 8a-8b) a last column: TRUE on the row of one part of a
# criterion read one column per point, which follows the criterion's own row; summing the points of the rows
# where it is FALSE gives pedro's totals.  A rubric without parts (PEDro) has no such column.
PART_COLUMN = "part"
MISSING = "NA"  # read as missing by R's read.csv and by pandas.read_csv without options


@dataclass(frozen=True)
class RobvisOptions:
    """How the robvis table is made (see the module's docstring for the defaults' reasons)."""

    judgements: dict = field(default_factory=lambda: dict(DEFAULT_JUDGEMENTS))
    overall: dict = field(default_factory=dict)  # band label -> judgement, over ``default_overall``
    weight_column: str | None = None
    include_unscored: bool = False


@dataclass(frozen=True)
class Exported:
    """What ``export_file`` wrote."""

    output: Path
    to: str
    trials: int
    header: list
    verified: bool | None  # None: a plain item sheet, nothing to verify
    problem: str | None = None  # why an audited workbook did not verify (exported with ``unverified``)
    assessor: str | None = None  # the assessor the tidy table names (None: NA)
    errors: int = 0  # error findings of the ratings (an unreadable answer is exported as missing)
    notes: tuple = ()  # what the user should know about the table written, one sentence each


def export_file(path: str | Path, to: str, output: str | Path | None = None, *, sheet: str | None = None,
                rubric: str | None = None, bands: str | None = None, unverified: bool = False,
                robvis: RobvisOptions | None = None, assessor: str | None = None,
                excel_safe: bool = False) -> Exported:
    """Export the ratings of ``path`` (an audited workbook or an item sheet) ``to`` "robvis" or "csv"
    (see the module's docstring), to ``output`` (default: beside the input, named after the format);
    ``excel_safe`` puts an apostrophe before text that Excel would run as a formula."""
    if to not in FORMATS:
        raise InputError(f"cannot export to '{to}'; choose one of {', '.join(FORMATS)}")
    if robvis is not None and to != "robvis":
        raise InputError("--judgements, --overall, --weight and --all-items shape the robvis table only; "
                         "leave them out with --to csv")
    if assessor is not None and to != "csv":
        raise InputError("--assessor names the assessor in the tidy table; robvis's table has no such column, "
                         "so give it with --to csv only")
    result, verified, problem = read_ratings(path, sheet, rubric, bands, unverified)
    if result.sheet.layout.totals_only:
        raise InputError(f"{result.input.name} lists printed totals only, no answers per item, so there is "
                         "nothing to export per item; export the item sheet the totals came from")
    # The assessor only where one is named: who ran `pedro score` need not be who rated (scored_by).
    who = assessor or result.previous_provenance.get(Key.ASSESSOR) or None
    if to == "robvis":
        rows = robvis_rows(result, robvis or RobvisOptions())
        notes = robvis_notes(result) + weight_notes(rows)
    else:
        rows, notes = tidy_rows(result, who, result.previous_provenance.get(Key.USER) or None), ()
    target = Path(output) if output else result.input.with_name(
        f"{result.input.stem}.{'robvis' if to == 'robvis' else 'tidy'}.csv")
    written = write_table(rows, check_output_path(target, result.input), excel_safe=excel_safe)
    return Exported(output=written, to=to, trials=len(result.sheet.studies), header=list(rows[0]),
                    verified=verified, problem=problem, assessor=who if to == "csv" else None,
                    errors=result.counts["error"], notes=notes)


def read_ratings(path, sheet, rubric, bands, unverified: bool) -> tuple[ScoreResult, bool | None, str | None]:
    """(the ratings scored, whether they verified, why not).  An audited workbook is scored under the
    rubric and band set recorded at scoring (unless ``rubric``/``bands`` say otherwise) and verified
    first; a plain item sheet is scored as `pedro score` would and has nothing to verify."""
    provenance = read_previous_audit(open_book(path))[1]
    if provenance is None:
        return score_file(path, sheet=sheet, bands=bands, rubric=rubric), None, None
    loaded = recorded_rubric(Path(path).name, provenance, rubric)
    try:
        report = verify_workbook(path, rubric=loaded)
        problem = None if report["ok"] else _first_discrepancy(report["discrepancies"])
    except InputError as exc:  # a key missing or different, a sheet of pedro's gone: nothing verified
        problem = str(exc)
    if problem is not None and not unverified:
        raise InputError(f"{Path(path).name} does not verify as scored ({problem}); run `pedro audit "
                         f"{Path(path).name}` to see what changed, or pass --unverified to export its cells as "
                         "they are now")
    chosen_bands = bands or provenance.get(Key.BANDS) or None
    if chosen_bands is not None and chosen_bands not in loaded.band_sets and bands is None:
        chosen_bands = None  # recorded under a band set this rubric no longer has: its default
    result = score_file(path, sheet=sheet, bands=chosen_bands, rubric=loaded)
    return result, problem is None, problem


def _first_discrepancy(discrepancies: list[str]) -> str:
    more = len(discrepancies) - 1
    return discrepancies[0] + (f"; and {more} more" if more > 0 else "") if discrepancies else "not verified"


def recorded_rubric(name: str, provenance: dict, wanted: str | None) -> Rubric:
    """The rubric an audited workbook was scored with: the one its Provenance names where pedro ships
    it; a rubric of the user's own must be given again with ``wanted`` (its path is not kept).  Another
    rubric than the one recorded is refused: the columns were matched to that rubric's items."""
    recorded = provenance.get(Key.RUBRIC) or None
    loaded = load_rubric(wanted) if wanted else None
    if loaded is not None and recorded is not None and loaded.name != recorded:
        raise InputError(f"{name} was scored with rubric {recorded}; its columns were read as that rubric's "
                         f"items, so they cannot be exported as rubric {loaded.name}'s: leave --rubric out, "
                         f"or score the item sheet again with --rubric {wanted}")
    # The same name: `pedro audit`'s check that it is the same file (by the SHA-256 recorded).
    return verified_rubric(provenance, loaded, name)


# --- the robvis table -------------------------------------------------------------------------------


def robvis_options(judgements: str | None = None, overall: str | None = None, weight: str | None = None,
                   include_unscored: bool = False) -> RobvisOptions:
    """Options as the command line gives them: ``judgements`` as "Y=Low,N=High,?=Unclear,partial=Unclear,
    missing=No information" (any of the keys; the others keep their default), ``overall`` as
    "band=judgement,..." over the band set's labels (checked once the band set is known)."""
    given = parse_mapping(judgements, "--judgements", JUDGEMENT_KEYS) if judgements else {}
    bands = parse_mapping(overall, "--overall", None) if overall else {}
    if weight is not None and not weight.strip():
        raise InputError("--weight needs the header of a column of the item sheet, such as --weight 'n'")
    return RobvisOptions(judgements=DEFAULT_JUDGEMENTS | given, overall=bands, weight_column=weight,
                         include_unscored=include_unscored)


def parse_mapping(text: str, option: str, keys: tuple[str, ...] | None) -> dict[str, str]:
    """{key: robvis judgement} from "key=judgement,key=judgement".  Keys are matched without regard to
    case against ``keys`` (any key where None); judgements against ROBVIS_JUDGEMENTS, spelt as robvis
    spells them."""
    mapping = {}
    for pair in (p for p in text.split(",") if p.strip()):
        key, equals, value = (part.strip() for part in pair.partition("="))
        if not equals or not key:
            raise InputError(f"{option} takes key=judgement pairs separated by commas, such as 'Y=Low,N=High'; "
                             f"'{pair.strip()}' has no key=")
        if keys is not None:
            match = [k for k in keys if k.lower() == key.lower()]
            if not match:
                raise InputError(f"{option}: '{key}' is not something to map; use {', '.join(keys)}")
            key = match[0]
        mapping[key] = generic_judgement(value, option)
    if not mapping:
        raise InputError(f"{option} is empty; give key=judgement pairs such as 'Y=Low,N=High'")
    return mapping


def generic_judgement(value: str, option: str) -> str:
    """``value`` spelt as robvis spells it, where its Generic template draws it as written; a judgement
    it would draw as another (GENERIC_RELABELS), or any other word, is refused naming the four."""
    allowed = {judgement.lower(): judgement for judgement in ROBVIS_JUDGEMENTS}
    if value.lower() in allowed:
        return allowed[value.lower()]
    words = ", ".join(ROBVIS_JUDGEMENTS[:-1]) + f" or {ROBVIS_JUDGEMENTS[-1]}"
    relabelled = {word.lower(): (word, why) for word, why in GENERIC_RELABELS.items()}
    if value.lower() in relabelled:
        word, why = relabelled[value.lower()]
        raise InputError(f"{option}: robvis's Generic template does not draw '{word}' as written ({why}); "
                         f"use {words}")
    raise InputError(f"{option}: '{value}' is not a judgement robvis's Generic template draws; use {words}")


def robvis_rows(result: ScoreResult, options: RobvisOptions) -> list[list]:
    """The robvis Generic table, header first: study, one judgement per item, Overall, Weight.  Overall
    is always there: robvis's rob_summary takes the column before the weights to be it."""
    items = [item for item in result.rubric.items if item.scored or options.include_unscored]
    if not items:
        raise InputError(f"rubric '{result.rubric.name}' has no scored item to export; pass --all-items")
    answers = result.sheet.wide("answer").reindex(columns=[item.number for item in items])
    studies = result.sheet.studies
    overall = overall_judgements(result, options)
    weights = trial_weights(result, options.weight_column)
    rows = [[STUDY_COLUMN, *domain_names(items), OVERALL_COLUMN, WEIGHT_COLUMN]]
    for position, (index, label) in enumerate(zip(studies.index, trial_labels(result))):
        judged = [judgement(item, answers.at[index, item.number] if index in answers.index else None,
                            options.judgements) for item in items]
        rows.append([label, *judged, overall[position], weights[position]])
    return rows


def robvis_notes(result: ScoreResult) -> tuple[str, ...]:
    """What to know about a robvis table: where the rubric has no bands (TESTEX), no trial's Overall
    says anything."""
    band_set = result.bands
    if band_set is not None and tuple(band_set.labels):
        return ()
    why = f" ({band_set.caveat})" if band_set is not None and getattr(band_set, "caveat", "") else ""
    return (f"rubric {result.rubric.name} has no quality bands{why}, so every trial's Overall is \"No "
            "information\": pedro invents no cut-offs (a rubric file of your own can name a band set, which "
            "--bands then picks)",)


def weight_notes(rows: list[list]) -> tuple[str, ...]:
    """A warning where R would read a weight of the robvis table back as scientific notation: robvis's
    rob_traffic_light checks the Weight column as text, and R's ``as.character`` turns 0.00001 into
    "1e-05" and 100000 into "1e+05", so the check fails and the figure stops (drawn in R 4.2 with robvis
    from GitHub, issue 16); rob_summary's weighted bars are not affected."""
    weights = [(row[0], row[-1]) for row in rows[1:]]
    odd = [(study, weight) for study, weight in weights if r_writes_scientific(weight)]
    if not odd:
        return ()
    study, weight = odd[0]
    return (f"{len(odd)} weight(s), the first {weight} ({study}), are ones R writes in scientific notation "
            "(as 1e-05 or 1e+05), and robvis's rob_traffic_light then stops ('the condition has length > 1'); "
            "weights count relative to each other, so multiplying all of them by one factor that brings them "
            "between 0.001 and 99999 draws the same figure",)


def r_writes_scientific(number) -> bool:
    """Whether R's ``as.character`` writes ``number`` in scientific notation: R writes a number in fixed
    notation unless that is wider than scientific (15 significant digits, a two-digit exponent)."""
    if not number:
        return False
    mantissa, exponent = f"{abs(number):.14e}".split("e")
    digits = len(mantissa.replace(".", "").rstrip("0"))
    power = int(exponent)
    scientific = (digits + 1 if digits > 1 else 1) + (4 if abs(power) < 100 else 5)
    decimals = max(digits - power - 1, 0)
    fixed = max(power + 1, 1) + (decimals + 1 if decimals else 0)
    return fixed > scientific


def domain_names(items: list[Item]) -> list[str]:
    """The items' labels, as robvis prints them; where two share a label, both carry their number."""
    labels = [item.label for item in items]
    return [item.label if labels.count(item.label) == 1 else f"{item.label} ({item.number})" for item in items]


def max_points(item: Item) -> int:
    """What the item adds to the total at most: its points, none where it is not scored."""
    return item.points if item.scored else 0


def answer_points(item: Item, answer) -> int | None:
    """The points an answer adds to the total (None where there is no answer): "Y" the item's points,
    "N" and "?" none (a point is awarded only when a criterion is clearly met), a number of points as
    such; an item that is not scored adds none whatever the answer."""
    if answer is None or (isinstance(answer, float) and math.isnan(answer)):
        return None
    if not item.scored:
        return 0
    if answer == "Y":
        return max_points(item)
    if answer in ("N", "?"):
        return 0
    try:
        return int(str(answer))
    except ValueError:
        return None


def judgement(item: Item, answer, judgements: dict) -> str:
    """The robvis judgement of one answer: by the answer where it is Y, N or ?; by its points where the
    item is worth several (all of them "Y", none "N", some "partial"); "missing" where there is none."""
    if answer in ("Y", "N", "?"):
        return judgements[answer]
    points = answer_points(item, answer)
    if points is None:
        return judgements["missing"]
    if points >= max_points(item):
        return judgements["Y"]
    return judgements["N"] if points == 0 else judgements["partial"]


def default_overall(labels: tuple[str, ...]) -> dict[str, str]:
    """The overall judgement of each band, bands listed from the lowest totals up: the lowest "High",
    the upper half "Low", any between "Unclear", the Generic template's middle level (poor, fair, good,
    excellent: High, Unclear, Low, Low; low, high: High, Low).  One band or none says nothing of a
    trial: no default."""
    if len(labels) < 2:
        return {}
    return {label: "High" if rank == 0 else "Low" if rank >= len(labels) / 2 else "Unclear"
            for rank, label in enumerate(labels)}


def overall_judgements(result: ScoreResult, options: RobvisOptions) -> list[str]:
    """Each trial's overall judgement, from its band under the band set chosen (``--overall`` over
    ``default_overall``).  A trial without a band (an answer missing leaves the total open across
    bands), and every trial where the rubric or band set has no bands, is "missing" (No information)."""
    band_set = result.bands
    labels = tuple(band_set.labels) if band_set is not None else ()
    folded = {label.lower(): label for label in labels}
    unknown = [band for band in options.overall if band.lower() not in folded]
    if unknown:
        raise InputError(f"--overall names the band '{unknown[0]}', which band set "
                         f"'{getattr(band_set, 'name', 'none')}' does not have; its bands: "
                         f"{', '.join(labels) or 'none'}")
    mapping = default_overall(labels) | {folded[band.lower()]: value for band, value in options.overall.items()}
    bands = result.scores["band"].loc[result.sheet.studies.index].tolist()
    return [mapping.get(band, options.judgements["missing"]) if band is not None else options.judgements["missing"]
            for band in bands]


def trial_labels(result: ScoreResult) -> list[str]:
    """Each trial's label, made unique: robvis draws one row per distinct label, so two trials of the
    same label would be drawn as one.  A label shared, or blank, gets its place in the sheet."""
    studies = result.sheet.studies
    lines = [result.sheet.layout.line(row) for row in studies["row"].tolist()]
    labels = [(answer_text(label) or "").strip() for label in studies["study"].tolist()]  # 2019.0 reads 2019
    return [f"(no label, {_line_word(result, line)})" if not label else
            f"{label} ({_line_word(result, line)})" if labels.count(label) > 1 else label
            for label, line in zip(labels, lines)]


def _line_word(result: ScoreResult, line) -> str:
    return f"column {line}" if result.sheet.layout.transposed else f"row {line}"


def trial_weights(result: ScoreResult, column: str | None) -> list:
    """Each trial's weight: 1, or the number in the item sheet's column headed ``column``.  robvis takes
    the last column for weights only when every cell of it is a number, so each must be one."""
    if column is None:
        return [1] * len(result.sheet.studies)
    positions, _, (_, header), trials = result.sheet.table_cells()
    found = [i for i, text in enumerate(header) if text is not None and header_key(text) == header_key(column)]
    where = f"{result.input.name}, sheet '{result.sheet.sheet}'"
    if not found:
        shown = ", ".join(str(text) for text in header if text is not None)
        raise InputError(f"{where} has no column '{column}' for --weight; its headers: {shown}")
    at, weights = found[0], []
    for _, line, values in trials:
        weight = _number(values[at])
        if weight is None or weight < 0:
            cell = f"{line}{positions[at]}" if result.sheet.layout.transposed else f"{positions[at]}{line}"
            raise InputError(f"{where}, cell {cell}: the weight {values[at]!r} is not a number of 0 or more; "
                             "robvis needs a weight for every trial")
        weights.append(weight)
    return weights


def _number(value) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        # Text with a comma ("1,5", "1,000") is refused rather than guessed at.
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


# --- the tidy table ---------------------------------------------------------------------------------


def tidy_rows(result: ScoreResult, assessor: str | None, scored_by: str | None = None) -> list[list]:
    """One row per trial per item of the rubric, header first (TIDY_COLUMNS): the trial's label (as in
    the robvis table), the item's number and label, the canonical answer (Y, N, ?, points; NA where
    missing or unreadable), the points it adds to the total (NA where missing), the item's most, the
    assessor (NA where not recorded), who ran `pedro score` (NA for an item sheet scored on the fly)
    and the cell it was read from, with ``part`` FALSE.  A criterion the sheet gives one column per point
    (TESTEX's 6a, 6b, 6c) is followed by a row per part, ``part`` TRUE: item "6a", the part's label, Y, N or
    ? (NA where blank or unreadable), 1 or 0 points of 1, the part's cell; the criterion's row keeps its
    points (NA where a part is missing, as pedro's total is then unknown) and names all its parts' cells."""
    items = list(result.rubric.items)
    numbers = [item.number for item in items]
    answers = result.sheet.wide("answer").reindex(columns=numbers)
    cells = result.sheet.wide("cell").reindex(columns=numbers)
    layout, studies = result.sheet.layout, result.sheet.studies
    by_parts = {item.number: part_answers(result, item.number, studies.index)[0]
                for item in items if item.number in layout.parts and result.sheet.grid is not None}
    with_parts = any(item.parts for item in items)
    rows = [[*TIDY_COLUMNS, *([PART_COLUMN] if with_parts else [])]]
    for t, (index, label, row) in enumerate(zip(studies.index, trial_labels(result), studies["row"].tolist())):
        for item in items:
            answer = answers.at[index, item.number] if index in answers.index else None
            answer = None if answer is None or (isinstance(answer, float) and math.isnan(answer)) else answer
            cell = cells.at[index, item.number] if index in cells.index else None
            if item.number not in by_parts:
                rows.append([label, item.number, item.label, answer, answer_points(item, answer), max_points(item),
                             assessor, scored_by, cell if isinstance(cell, str) else None,
                             *([False] if with_parts else [])])
                continue
            columns = list(layout.parts[item.number].items())
            part_cells = [layout.cell(column.index, row) for _, column in columns]
            rows.append([label, item.number, item.label, answer, answer_points(item, answer), max_points(item),
                         assessor, scored_by, ", ".join(part_cells), False])
            labels = {part.code: part.label for part in item.parts}
            for p, ((code, _), part_cell) in enumerate(zip(columns, part_cells)):
                given = by_parts[item.number][t, p]
                rows.append([label, code, labels.get(code, code), given, _part_points(item, given),
                             1 if item.scored else 0, assessor, scored_by, part_cell, True])
    return rows


def _part_points(item: Item, answer) -> int | None:
    """The point one part of a criterion adds (see ``answer_points``): 1 for "Y", 0 for "N" or "?", None
    where blank or unreadable; none where the criterion is not scored."""
    if answer is None:
        return None
    return (1 if answer == "Y" else 0) if item.scored else 0


# --- writing ----------------------------------------------------------------------------------------


def write_table(rows: list[list], output: Path, excel_safe: bool = False) -> Path:
    """Write ``rows`` as CSV, atomically: UTF-8 without a byte-order mark, NA for a missing value,
    numbers as plain decimals, text exactly as it is (R and pandas run no formulas) unless
    ``excel_safe``, when text Excel would run as a formula is put behind an apostrophe."""
    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(
                [[_csv_value(v, excel_safe) for v in row] for row in rows])
    try:
        return atomic_write(output, write)
    except PedroError:
        raise
    except UnicodeEncodeError as exc:  # a lone surrogate read from a damaged cell
        raise InputError(f"cannot write {output}: a cell holds text that is not valid Unicode ({exc.reason})"
                         ) from None


def _csv_value(value, excel_safe: bool):
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return value
    if isinstance(value, float):  # robvis's weight pattern has no exponent: 0.00001, never 1e-05
        return f"{value:.12f}".rstrip("0").rstrip(".")
    return csv_safe(str(value)) if excel_safe else str(value)
