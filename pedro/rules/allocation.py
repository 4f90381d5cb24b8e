"""Rules on random allocation (item 2) and concealed allocation (item 3)."""

from ..normalise import present
from ..table import missing
from ..text import fold_spelling, fold_text
from .base import Rule, no_findings

ITEM2_NOTE = ("PEDro item 2 note: satisfied if the report states that allocation was random; quasi-random "
              "allocation (hospital record number, birth date, alternation) does not satisfy it")


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def quasi_random_phrase(method, phrases, random_sources=(), whole_methods=()) -> str | None:
    """The quasi-random phrase that a method description contains, if any
    (none when the description names a genuinely random source)."""
    if _blank(method):
        return None
    text = fold_spelling(fold_text(method))
    if text.strip(" .") in whole_methods:
        return text.strip(" .")
    if any(source in text for source in random_sources):
        return None
    return next((phrase for phrase in phrases if phrase in text), None)


def check_quasi_random(ctx, rule):
    """Item 2 "Y" although the reported method of allocation is quasi-random."""
    import numpy as np

    if ctx.sheet.layout.role("method") is None:
        return no_findings()
    params = ctx.params("quasi_random")
    item = params["item"]
    phrases = [fold_spelling(fold_text(p)) for p in params["phrases"]]
    sources = [fold_spelling(fold_text(p)) for p in params.get("random_sources", [])]
    whole = {fold_spelling(fold_text(p)) for p in params.get("whole_methods", [])}
    method = ctx.trial_column("method")
    # Sheets repeat a handful of method descriptions: each is read once.
    codes, distinct = ctx.distinct("method")
    found = np.fromiter([quasi_random_phrase(m, phrases, sources, whole) for m in distinct], dtype=object,
                        count=len(distinct))  # per distinct method
    flagged = ctx.answer_is(item, "Y") & ~missing(found)[codes]
    rows = np.flatnonzero(flagged)
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), "Y", item=item, method=method[rows],
                              method_cell=ctx.role_cells("method", rows), phrase=found[codes[flagged]])


def check_random_without_method(ctx, rule):
    """Item 2 "Y" with the sheet's randomisation-method cell left empty."""
    import numpy as np

    if ctx.sheet.layout.role("method") is None:
        return no_findings()
    item = ctx.params("quasi_random")["item"]
    codes, distinct = ctx.distinct("method")
    rows = np.flatnonzero(ctx.answer_is(item, "Y") & ~present(distinct)[codes])
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), "Y", item=item,
                              method_cell=ctx.role_cells("method", rows))


def check_no_method_column(ctx, rule):
    """The sheet rates the items but has no randomisation-method column: quasi-random allocation is unchecked.

    A list of printed totals rates no item 2, so there is nothing to check and nothing is said."""
    layout = ctx.sheet.layout
    if layout.role("method") is not None or not len(ctx.sheet.study_table) or not layout.items:
        return no_findings()
    return ctx.sheet_finding(rule, cell=ctx.sheet.layout.header_range, random_item=ctx.params("quasi_random")["item"])


def check_concealment_without_randomisation(ctx, rule):
    """Item 3 "Y" (concealed allocation) while item 2 (random allocation) is not "Y"."""
    import numpy as np

    random_item, concealed_item = ctx.item_of("concealment", "randomisation"), ctx.item_of("concealment", "concealment")
    random_answer = ctx.answer(random_item)
    rows = np.flatnonzero(ctx.answer_is(concealed_item, "Y") & ~ctx.answer_is(random_item, "Y"))
    return ctx.trial_findings(rule, rows, ctx.item_cells(concealed_item, rows), "Y", item=concealed_item,
                              random_item=random_item, concealed_label=ctx.rubric.item(concealed_item).label.lower(),
                              random_label=ctx.rubric.item(random_item).label.lower(),
                              random_answer=[a if a is not None else "missing" for a in random_answer[rows].tolist()])


def check_not_randomised(ctx, rule):
    """Item 2 answered "N" or "?": the trial is not shown to be randomised."""
    import numpy as np

    item = ctx.params("quasi_random")["item"]
    rows = np.flatnonzero(ctx.answer_is(item, "N", "?"))
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), ctx.answer(item)[rows], item=item,
                              label=ctx.rubric.item(item).label.lower())


QUASI_RANDOM = Rule(
    id="PD301", name="quasi-random-allocation", severity="error",
    message="{cell}: {word} {item} is 'Y' but the method in {method_cell} ('{method}') is quasi-random "
            "('{phrase}'); {scale} does not accept quasi-random allocation, so {word} {item} should be 'N'",
    criterion=ITEM2_NOTE, check=check_quasi_random, parameters=("quasi_random",),
    summary_template='{Word} {quasi_random} "Y" although the reported method of allocation is quasi-random.')

RANDOM_WITHOUT_METHOD = Rule(
    id="PD302", name="random-without-method", severity="warning",
    message="{cell}: Y on random allocation with no reported method ({method_cell} is empty); the method need "
            "not be given, but confirm the report states that allocation was random and is not quasi-random",
    criterion=ITEM2_NOTE, check=check_random_without_method,
    parameters=("quasi_random",),
    summary_template='{Word} {quasi_random} "Y" with the sheet\'s randomisation-method cell left empty.')

NO_METHOD_COLUMN = Rule(
    id="PD303", name="no-method-column", severity="advisory",
    message="the sheet has no randomisation-method column, so pedro cannot check {word} {random_item} for quasi-random "
            "allocation; add a column 'Randomisation method' to have it checked",
    criterion=ITEM2_NOTE, check=check_no_method_column, scope="sheet", requires=("quasi_random",),
    summary_template="The sheet rates the {words} but has no randomisation-method column: quasi-random allocation "
                     "is unchecked.")

CONCEALMENT_WITHOUT_RANDOMISATION = Rule(
    id="PD304", name="concealment-without-randomisation", severity="warning",
    message="{cell}: {word} {item} ({concealed_label}) is 'Y' while {word} {random_item} ({random_label}) is "
            "'{random_answer}'; concealment is defined for a random schedule, so justify or correct it",
    criterion="PEDro item 3 note: concealment means the person deciding eligibility did not know the group "
              "the subject would enter; a quasi-random schedule such as alternation is predictable "
              "(PEDRO-NOTES 4.5)",
    check=check_concealment_without_randomisation, parameters=("concealment",), cites="concealment",
    summary_template='{Word} {concealment} "Y" ({concealment_label}) while {word} {randomisation} '
                     '({randomisation_label}) is not "Y".')

NOT_RANDOMISED = Rule(
    id="PD305", name="not-randomised", severity="advisory",
    message="{cell}: {word} {item} ({label}) is '{value}', so the trial is not shown to be randomised; the "
            "{scale} scale and its quality bands are meant for randomised trials",
    criterion="PEDro indexes randomised and quasi-randomised trials; bands are not meaningful for "
              "non-randomised studies (PEDRO-NOTES 1.3, 4.15)",
    check=check_not_randomised, parameters=("quasi_random",),
    summary_template='{Word} {quasi_random} answered "N" or "?": the trial is not shown to be randomised.')
