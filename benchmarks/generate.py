"""Write synthetic PEDro item sheets for the benchmarks (issue #6).

    python benchmarks/generate.py --trials 60000 --out a.xlsx [--seed 6] [--second-assessor b.xlsx]

The workbook looks like the sheets review teams keep in Excel: a title and a
note above the header row, one row per trial with a unique "Author YEAR"
label, the randomisation method, the numbers allocated and analysed, items
1-11 (Y/N, a few "?", blanks and other spellings) each followed by an evidence
column (short quotes for "Y"), and a reported total (mostly right, about 2%
wrong, a few written "7/10").  Header formats, column widths, frozen panes, an
autofilter and Y/N/? dropdowns are set as an assessor's template would set
them, and a small second sheet holds the rating notes.

It is written with XlsxWriter, which stores text in a shared-strings table as
Excel does (openpyxl writes inline strings, which Excel never does and which
readers handle differently).  Given the seed the file is byte for byte the
same.  With --second-assessor, a second assessor's sheet of the same trials is
written too, with about 8% of the item answers changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

DEFAULT_SEED = 6
HEADER_ROW = 4  # Excel row of the header: title, note and a blank row above it
SHEET = "PEDro ratings"
FIXED_TIME = dt.datetime(2024, 3, 1, 9, 30, 0)  # document properties, so the bytes depend on the seed only

ITEMS = {
    1: "Eligibility criteria",
    2: "Random allocation",
    3: "Concealed allocation",
    4: "Baseline comparability",
    5: "Blind subjects",
    6: "Blind therapists",
    7: "Blind assessors",
    8: "Adequate follow-up",
    9: "Intention-to-treat analysis",
    10: "Between-group comparisons",
    11: "Point estimates and variability",
}
# Share of "Y" per item, close to those of the trials indexed by PEDro.
PREVALENCE_Y = {1: 0.75, 2: 0.95, 3: 0.40, 4: 0.80, 5: 0.10, 6: 0.05, 7: 0.40, 8: 0.60, 9: 0.40, 10: 0.90, 11: 0.90}
QUALITY_SPREAD = 0.7  # a trial's latent quality shifts every item's log-odds: good trials score well throughout
UNCLEAR = 0.012  # "?" per answer
BLANK = 0.003  # answers left blank
OTHER_SPELLING = 0.006  # "yes", "y", "No", ... instead of Y / N
QUASI_RANDOM = 0.03
QUASI_RATED_Y = 0.2  # quasi-random trials rated Y on item 2 all the same (pedro's PD301)
METHOD_BLANK = 0.04
NUMBERS_MISSING = 0.08  # N allocated / N analysed not extracted
EVIDENCE_MISSING = 0.03  # a "Y" without its quote (pedro's PD601)
NOTE_ON_NO = 0.2  # an "N" with a note saying why
TOTAL_WRONG = 0.02
TOTAL_OUT_OF_10 = 0.01  # total written "7/10"
SECOND_ASSESSOR_FLIPS = 0.08


@dataclass(frozen=True)
class Kind:
    """How a kind of sheet differs: its rates of the slips that give pedro findings, and the method text."""

    name: str
    quasi_random: float = QUASI_RANDOM
    quasi_rated_y: float = QUASI_RATED_Y
    method_blank: float = METHOD_BLANK
    numbers_missing: float = NUMBERS_MISSING
    followup_agrees: float = 0.95  # item 8 agrees with the numbers allocated and analysed
    evidence_missing: float = EVIDENCE_MISSING
    unclear: float = UNCLEAR
    other_spelling: float = OTHER_SPELLING
    total_wrong: float = TOTAL_WRONG
    total_out_of_10: float = TOTAL_OUT_OF_10
    free_text_method: bool = False  # the method as a sentence quoted from the report, not a short label


# "plain": the sheet of issue 6.  "findings": what real sheets look like (issue 18): the method column holds
# free text copied from the report (which the allocation rules read), every row has its numbers and a
# reported total, and slips are common enough that about one trial in four has an error (a wrong total,
# item 8 against the numbers, quasi-random allocation rated Y) and two in three an error or a warning.
KINDS = {
    "plain": Kind("plain"),
    "findings": Kind("findings", quasi_random=0.08, quasi_rated_y=0.35, method_blank=0.02, numbers_missing=0.0,
                     followup_agrees=0.8, evidence_missing=0.08, unclear=0.03, other_spelling=0.02,
                     total_wrong=0.12, total_out_of_10=0.03, free_text_method=True),
}

SURNAMES = """
Smith Jones Williams Brown Taylor Davies Wilson Evans Thomas Johnson Roberts Walker Wright Robinson Thompson White
Hughes Edwards Green Hall Wood Harris Lewis Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward Moore
King Watson Baker Harrison Morgan Patel Young Allen Mitchell James Anderson Phillips Lee Bell Parker Davis Murphy
Kelly Walsh Byrne Ryan O'Brien O'Connor McCarthy Doyle Gallagher Kennedy Lynch Murray Quinn Moloney Herbert
Maher Costa Ferreira Santos Oliveira Pereira Rodrigues Almeida Carvalho Gomes Ribeiro Barbosa Lima Araujo Souza
Garcia Martinez Lopez Sanchez Perez Gonzalez Fernandez Ruiz Diaz Moreno Alvarez Romero Navarro Torres Dominguez
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Mancini Lombardi Moretti
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann
Jansen Visser Smit Bakker Mulder Bos Vos Peters Hendriks Dekker Brouwer Dijkstra Kok Verhagen Koes Ostelo
"van Dieën" "van Tulder" "de Vet" "van der Wees" "van den Berg" "de Bie" "Kamper"
Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Johansson Karlsson Nilsson Eriksson Lindqvist
Virtanen Korhonen Nieminen Mäkinen Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen
Dubois Durand Lefebvre Moreau Laurent Simon Michel Leroy Roux Fournier Girard Bonnet Lambert Fontaine Rousseau
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie Tang Han Cao
Deng Feng
Kim Park Choi Jung Kang Cho Yoon Jang Lim Shin Han Oh Seo Kwon Hwang Song
Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi Matsumoto
Sharma Singh Kumar Gupta Reddy Iyer Nair Rao Mehta Shah Joshi Desai Menon Pillai Chaudhary
Cohen Levi Mizrahi Peretz Friedman Katz Shapiro Adler
Yilmaz Kaya Demir Sahin Celik Yildiz Aydin Ozturk Arslan Dogan
Hassan Ali Ahmed Mohamed Ibrahim Mahmoud Khalil Saleh Nasser Haddad
Silva Sousa Mendes Nunes Vieira Cardoso Teixeira Moura Correia
Maher Herbert Sherrington Moseley Elkins Hush Hancock Ferreira Pinto Cashin McAuley Refshauge
""".strip()

RANDOM_METHODS = [
    "computer-generated random numbers", "computer-generated random sequence", "random number table",
    "table of random numbers", "block randomisation (blocks of 4)", "block randomisation (blocks of 6)",
    "permuted blocks of random size", "stratified block randomisation by site", "stratified by sex and age",
    "minimisation (age, baseline severity)", "coin toss", "drawing lots", "shuffled sealed envelopes",
    "sealed opaque envelopes", "central telephone randomisation", "web-based randomisation service",
    "randomisation software (nQuery)", "random allocation software", "randomised; method not described",
    "randomised by independent statistician", "concealed central allocation, computer-generated",
    "random sequence in blocks of 2 and 4", "dice", "REDCap randomisation module",
]
QUASI_METHODS = [
    "alternation", "alternate allocation by order of admission", "by hospital record number (odd/even)",
    "date of birth (odd/even)", "day of the week of admission", "allocated alternately", "by medical record number",
    "order of enrolment", "quasi-random: birth date",
]
NOT_REPORTED_METHODS = ["not reported", "not described", "n/r"]
# Free-text methods (kind "findings"): the label above inside a sentence as an extractor copies it.
METHOD_SENTENCES = [
    "Participants were randomised using {m} (p.{p}).", "'{m}' (Methods, p.{p})",
    "Allocation: {m}; sequence generated by an independent researcher.",
    "{m}, prepared before recruitment by a statistician not involved in assessment",
    "Methods p.{p}: 'participants were allocated by {m}'", "{m}. Allocation ratio 1:1, stratified by site.",
    "Randomisation: {m} - see protocol (registered).", "'{m}', as stated in the trial registration",
]
QUASI_SENTENCES = [
    "Participants were allocated by {m} (p.{p}).", "'{m}' (Methods, p.{p})",
    "Allocation: {m}; described as randomised in the abstract.", "Group assigned by {m} at enrolment",
    "Methods p.{p}: 'allocation was by {m}'",
]

EVIDENCE_Y = {
    1: ["Inclusion criteria listed (Methods, p.{p})", "'aged {a} to {b} years with ...' p.{p}",
        "Eligibility criteria in Table 1", "'Participants were eligible if ...' (p.{p})"],
    2: ["'randomly allocated' p.{p}", "'were randomised to' (p.{p})", "'randomly assigned using {m}'",
        "'randomisation was performed by ...' p.{p}"],
    3: ["'sealed opaque envelopes' p.{p}", "'allocation concealed by central office'",
        "'off-site allocation by telephone' (p.{p})", "'sequentially numbered, sealed envelopes'"],
    4: ["Table 1: groups similar at baseline", "'no differences at baseline' p.{p}",
        "Table {t}: key prognostic indicators similar", "baseline outcome values similar (Table 1)"],
    5: ["'participants unaware of group allocation' p.{p}", "sham device indistinguishable (p.{p})",
        "'placebo tablets identical in appearance'"],
    6: ["'therapists were blinded' p.{p}", "'the treating clinician was unaware of allocation'"],
    7: ["'assessors blinded to group allocation' p.{p}", "'outcomes measured by a blinded assessor'",
        "'assessor masked to treatment' (p.{p})"],
    8: ["{n2}/{n1} analysed ({pct}%)", "follow-up {pct}% at {w} weeks", "flow diagram: {n2} of {n1} analysed"],
    9: ["'analysed by intention to treat' p.{p}", "'all participants analysed in allocated group'",
        "ITT stated (p.{p}); missing data imputed"],
    10: ["Table {t}: between-group difference", "'difference between groups ...' p.{p}",
         "between-group p-values reported (Table {t})"],
    11: ["MD {d} (95% CI {lo} to {hi})", "means and SD per group (Table {t})", "'effect size {es} (95% CI ...)'",
         "median and IQR reported (Table {t})"],
}
NOTE_N = ["not reported", "not stated", "no mention (p.{p})", "not described", "no", "unclear from report"]
NOTE_UNCLEAR = ["unclear: 'randomised' only", "unclear, contact authors", "? check full text", "conflicting (p.{p})"]

ANSWER_SPELLINGS = {"Y": ["Yes", "y", "yes", "YES"], "N": ["No", "n", "no", "NO"]}


@dataclass
class Trial:
    label: str
    method: str | None
    allocated: int | None
    analysed: int | None
    answers: dict[int, str | None]  # as written in the cell
    evidence: dict[int, str | None] = field(default_factory=dict)
    total: object = None


def _surnames() -> list[str]:
    names = re.findall(r'"([^"]+)"|(\S+)', SURNAMES)
    seen, out = set(), []
    for quoted, bare in names:
        name = quoted or bare
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def label_key(label: str) -> str:
    """Labels must be unique as pedro matches them: ignoring case, accents, spacing and punctuation."""
    text = unicodedata.normalize("NFKD", label.casefold())
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c)))


def make_labels(rng: random.Random, count: int) -> list[str]:
    surnames = _surnames()
    used: set[str] = set()
    labels = []
    while len(labels) < count:
        surname = rng.choice(surnames)
        year = max(1965, 2024 - int(rng.expovariate(1 / 9)))  # more trials in recent years, as in PEDro
        base = f"{surname} {year}"
        for suffix in ["", *"bcdefghijklmnopqrstuvwxyz"]:
            label = base + suffix
            if label_key(label) not in used:
                used.add(label_key(label))
                labels.append(label)
                break
    return labels


def _fill(template: str, rng: random.Random, trial: Trial) -> str:
    n1 = trial.allocated or rng.randint(20, 200)
    n2 = trial.analysed or int(n1 * 0.9)
    lo = round(rng.uniform(0.1, 2.0), 1)
    return template.format(
        p=rng.randint(2, 14), a=rng.choice([18, 40, 50, 60, 65]), b=rng.choice([65, 75, 80, 85]),
        m=(trial.method or "random numbers").split(";")[0], t=rng.randint(1, 4), n1=n1, n2=n2,
        pct=round(100 * n2 / n1), w=rng.choice([6, 8, 12, 26, 52]), d=round(lo + rng.uniform(0.2, 1.5), 1),
        lo=lo, hi=round(lo + rng.uniform(0.5, 3.0), 1), es=round(rng.uniform(0.1, 1.2), 2))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _calibrated_logit(prevalence: float) -> float:
    """The log-odds that, shifted by QUALITY_SPREAD * N(0, 1), give ``prevalence`` on average."""
    quantiles = [NormalDist().inv_cdf((k + 0.5) / 200) for k in range(200)]
    low, high = -10.0, 10.0
    for _ in range(60):
        middle = (low + high) / 2
        mean = sum(_sigmoid(middle + QUALITY_SPREAD * z) for z in quantiles) / len(quantiles)
        low, high = (middle, high) if mean < prevalence else (low, middle)
    return (low + high) / 2


BASE_LOGIT = {item: _calibrated_logit(p) for item, p in PREVALENCE_Y.items()}


def _chance(item: int, quality: float) -> float:
    return _sigmoid(BASE_LOGIT[item] + QUALITY_SPREAD * quality)


def _written(rng: random.Random, answer: str | None, kind: Kind = KINDS["plain"]) -> str | None:
    """The answer as the assessor typed it: mostly Y / N / ?, sometimes another spelling."""
    if answer in ANSWER_SPELLINGS and rng.random() < kind.other_spelling:
        return rng.choice(ANSWER_SPELLINGS[answer])
    return answer


def _canonical(written) -> str | None:
    if written is None:
        return None
    text = str(written).strip().lower()
    return {"y": "Y", "yes": "Y", "n": "N", "no": "N", "?": "?"}.get(text, "?")


def _evidence(rng: random.Random, item: int, answer: str | None, trial: Trial,
              kind: Kind = KINDS["plain"]) -> str | None:
    if answer == "Y":
        return None if rng.random() < kind.evidence_missing else _fill(rng.choice(EVIDENCE_Y[item]), rng, trial)
    if answer == "N" and rng.random() < NOTE_ON_NO:
        return _fill(rng.choice(NOTE_N), rng, trial)
    if answer == "?" and rng.random() < 0.6:
        return _fill(rng.choice(NOTE_UNCLEAR), rng, trial)
    return None


def _reported_total(rng: random.Random, trial: Trial, kind: Kind = KINDS["plain"]):
    """The total the assessor wrote: the count of Y on items 2-11, sometimes miscounted or written 'n/10'."""
    total = sum(1 for item in range(2, 12) if _canonical(trial.answers[item]) == "Y")
    draw = rng.random()
    if draw < kind.total_wrong:
        return 1 if total == 0 else 9 if total == 10 else total + rng.choice([-1, 1])
    if draw < kind.total_wrong + kind.total_out_of_10:
        return f"{total}/10"
    return total


def _method(rng: random.Random, kind: Kind) -> tuple[str | None, bool]:
    """The randomisation method as written in the sheet, and whether it is quasi-random."""
    draw = rng.random()
    quasi = draw < kind.quasi_random
    if quasi:
        method = rng.choice(QUASI_METHODS)
    elif draw < kind.quasi_random + kind.method_blank:
        return None, False
    elif draw < kind.quasi_random + kind.method_blank + 0.02:
        return rng.choice(NOT_REPORTED_METHODS), False
    else:
        method = rng.choice(RANDOM_METHODS)
    if kind.free_text_method:
        sentence = rng.choice(QUASI_SENTENCES if quasi else METHOD_SENTENCES)
        method = sentence.format(m=method, p=rng.randint(2, 14))
        method = method[0].upper() + method[1:]
    return method, quasi


def make_trials(count: int, seed: int, kind: Kind = KINDS["plain"]) -> list[Trial]:
    rng = random.Random(seed)
    trials = []
    for label in make_labels(rng, count):
        quality = rng.gauss(0, 1)
        method, quasi = _method(rng, kind)
        if rng.random() < kind.numbers_missing:
            allocated = analysed = None
        else:
            allocated = max(10, int(math.exp(rng.gauss(math.log(60), 0.7))))
            dropout = rng.uniform(0.0, 0.14) if rng.random() < PREVALENCE_Y[8] else rng.uniform(0.15, 0.45)
            analysed = round(allocated * (1 - dropout))
        trial = Trial(label, method, allocated, analysed, {})
        for item in ITEMS:
            if item == 2:
                p_yes = kind.quasi_rated_y if quasi else 0.99
            elif item == 8 and allocated is not None:
                followed_up = analysed / allocated > 0.85
                p_yes = kind.followup_agrees if followed_up else 1 - kind.followup_agrees
            else:
                p_yes = _chance(item, quality)
            draw = rng.random()
            if draw < BLANK:
                answer = None
            elif draw < BLANK + kind.unclear:
                answer = "?"
            else:
                answer = "Y" if rng.random() < p_yes else "N"
            trial.answers[item] = _written(rng, answer, kind)
            trial.evidence[item] = _evidence(rng, item, answer, trial, kind)
        trial.total = _reported_total(rng, trial, kind)
        trials.append(trial)
    return trials


def second_assessor(trials: list[Trial], seed: int, kind: Kind = KINDS["plain"]) -> list[Trial]:
    """The same trials rated by a second assessor: about 8% of the item answers differ."""
    rng = random.Random(f"{seed}-second-assessor")
    rated = []
    for first in trials:
        trial = Trial(first.label, first.method, first.allocated, first.analysed, dict(first.answers),
                      dict(first.evidence))
        for item in ITEMS:
            if rng.random() >= SECOND_ASSESSOR_FLIPS:
                continue
            old = _canonical(first.answers[item])
            new = {"Y": "N", "N": "Y"}.get(old) or rng.choice(["Y", "N"])
            trial.answers[item] = _written(rng, new, kind)
            trial.evidence[item] = _evidence(rng, item, new, trial, kind)
        trial.total = _reported_total(rng, trial, kind)
        rated.append(trial)
    return rated


def header() -> list[str]:
    columns = ["Study", "Randomisation method", "N allocated", "N analysed"]
    for number, name in ITEMS.items():
        columns += [f"{number} {name}", f"{number} evidence"]
    return columns + ["Total (0-10)"]


def write_workbook(path: Path, trials: list[Trial], assessor: str, seed: int) -> Path:
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    workbook.set_properties({"title": "PEDro ratings", "author": assessor, "created": FIXED_TIME,
                             "comments": f"synthetic benchmark sheet, seed {seed}"})
    workbook.set_calc_mode("auto")
    title = workbook.add_format({"bold": True, "font_size": 13})
    note = workbook.add_format({"italic": True, "font_color": "#595959"})
    head = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "valign": "top",
                                "border": 1})
    answer = workbook.add_format({"align": "center"})
    evidence = workbook.add_format({"font_size": 9, "font_color": "#404040"})
    total = workbook.add_format({"align": "center", "bold": True})

    sheet = workbook.add_worksheet(SHEET)
    columns = header()
    sheet.write(0, 0, f"Methodological quality of included trials (PEDro scale), {len(trials)} trials - {assessor}",
                title)
    sheet.write(1, 0, "Y = criterion clearly satisfied, N = not satisfied, ? = unclear. Item 1 is not included "
                      "in the total. Quote the report for every Y.", note)
    first_row = HEADER_ROW - 1  # 0-based
    sheet.write_row(first_row, 0, columns, head)
    sheet.set_row(first_row, 45)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 3, 10)
    for number in ITEMS:
        column = 4 + 2 * (number - 1)
        sheet.set_column(column, column, 11, answer)
        sheet.set_column(column + 1, column + 1, 28, evidence)
    last_column = len(columns) - 1
    sheet.set_column(last_column, last_column, 10, total)
    for offset, trial in enumerate(trials, start=first_row + 1):
        row = [trial.label, trial.method, trial.allocated, trial.analysed]
        for number in ITEMS:
            row += [trial.answers[number], trial.evidence[number]]
        row.append(trial.total)
        sheet.write_row(offset, 0, row)
    last_row = first_row + len(trials)
    for number in ITEMS:
        column = 4 + 2 * (number - 1)
        sheet.data_validation(first_row + 1, column, max(last_row, first_row + 1), column,
                              {"validate": "list", "source": ["Y", "N", "?"], "ignore_blank": True,
                               "error_title": "PEDro answer", "error_message": "Answer Y, N or ?"})
    sheet.freeze_panes(first_row + 1, 1)
    sheet.autofilter(first_row, 0, max(last_row, first_row + 1), last_column)

    notes = workbook.add_worksheet("Notes")
    notes.set_column(0, 0, 110)
    for r, text in enumerate([
            "Rating notes", f"Assessor: {assessor}",
            "Items rated from the full text; quotes give the page. A second assessor rated every trial "
            "independently; disagreements resolved by discussion.",
            "PEDro scale: pedro.org.au/english/resources/pedro-scale/",
            "Totals count Y on items 2-11 (0-10)."]):
        notes.write(r, 0, text, title if r == 0 else None)
    workbook.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, required=True, help="number of trials (rows)")
    parser.add_argument("--out", type=Path, required=True, help="workbook to write (.xlsx)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--kind", choices=sorted(KINDS), default="plain",
                        help="plain: the sheet of issue 6; findings: free-text methods, numbers and a total on "
                             "every row, about one trial in four with an error (default plain)")
    parser.add_argument("--second-assessor", type=Path, metavar="FILE2",
                        help="also write a second assessor's sheet of the same trials (~8%% of answers differ)")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    kind = KINDS[args.kind]
    trials = make_trials(args.trials, args.seed, kind)
    write_workbook(args.out, trials, "Assessor A", args.seed)
    print(f"wrote {args.out} ({args.trials} {kind.name} trials, seed {args.seed})")
    if args.second_assessor:
        write_workbook(args.second_assessor, second_assessor(trials, args.seed, kind), "Assessor B", args.seed)
        print(f"wrote {args.second_assessor} (second assessor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
