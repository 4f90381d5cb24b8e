"""Text and Markdown catalogues of the rules and band sets, generated from the
registry and the rubric so that `pedro rules`, `pedro rubrics` and the README
cannot drift apart."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .rubric import Rubric, load_rubric, packaged_rubric_files
from .rules import RULES, applies


def rules_text(rubric=None) -> str:
    """The rule catalogue for the terminal, with the parameters ``rubric``
    (a Rubric, a name or a file; default pedro) gives each rule."""
    rubric = _rubric(rubric)
    lines = [f"rules as rubric {rubric.name} ({Path(rubric.path).name}) sets them:"]
    for rule in RULES:
        scope = " (once per sheet)" if rule.scope == "sheet" else ""
        lines.append(f"{rule.id}  {rule.severity:<8}  {rule.name}{scope}")
        lines.append(f"      {rule.summary_for(rubric)}")
        skipped = applies(rule, rubric)
        if skipped:  # the rule does not run with this rubric (run_rules skips it the same way)
            lines.append(f"      does not apply: {skipped}, so the rule is skipped")
            continue
        lines.append(f"      source: {rule.source(rubric)}")
        lines += [f"      {text}" for text in _parameter_lines(rule, rubric)]
    return "\n".join(lines)


def rules_markdown(rubric=None) -> str:
    rubric = _rubric(rubric)
    rows = ["| id | name | severity | what it checks | PEDro criterion or note | rubric parameters |",
            "|---|---|---|---|---|---|"]
    for rule in RULES:
        tables = ", ".join(f"`[rules.{name}]`" for name in rule.parameters)
        rows.append(f"| {rule.id} | {rule.name} | {rule.severity} | {_md(rule.summary)} | {_md(rule.criterion)} | "
                    f"{tables} |")
    return "\n".join(rows)


def _rubric(rubric):
    return rubric if isinstance(rubric, Rubric) else load_rubric(rubric)


def _parameter_lines(rule, rubric) -> list[str]:
    """What the rubric's [rules.NAME] tables set for ``rule``, one line a table;
    a list is shown by its length (the words are in the rubric file)."""
    lines = []
    for name in rule.parameters:
        values = rubric.rule_params.get(name)
        if values is None:
            lines.append(f"parameters: rubric {rubric.name} has no [rules.{name}] table, so the rule does not run")
            continue
        shown = ", ".join(f"{key} = {len(value)} entries" if isinstance(value, list) and len(value) > 6
                          else f"{key} = {value}" for key, value in values.items())
        lines.append(f"parameters [rules.{name}]: {shown}")
    return lines


def rubrics_text() -> str:
    lines = []
    for name in packaged_rubric_files():
        rubric = load_rubric(name)
        lines.append(f"rubric {rubric.name}: {rubric.title} ({len(rubric.items)} items, "
                     f"items {', '.join(map(str, rubric.scored_items))} scored)")
        lines.append(f"  source: {rubric.source}")
        if not rubric.yes_no or rubric.subtotals:
            worth = ", ".join(f"{i.number} ({i.points} points"
                              f"{', parts ' + '/'.join(p.code for p in i.parts) if i.parts else ''})"
                              for i in rubric.items if not i.yes_no)
            lines.append(f"  total out of {rubric.max_total}: {rubric.scored_text}; worth several points: {worth}")
            for subtotal in rubric.subtotals:
                lines.append(f"  subtotal {subtotal.name}: {subtotal.label}, {rubric.item_plural} "
                             f"{', '.join(map(str, subtotal.items))} (out of "
                             f"{sum(rubric.points_of[n] for n in subtotal.items)})")
        if not rubric.band_sets:
            lines.append(f"  bands: {rubric.band_set(None).describe()}")
        for band_set in rubric.band_sets.values():
            default = " (default)" if band_set.name == rubric.default_bands else ""
            lines.append(f"  --bands {band_set.name}{default}: {band_set.describe()}")
            lines.append(f"      source: {band_set.source}")
            if band_set.caveat:
                lines.append(f"      caveat: {band_set.caveat}")
    return "\n".join(lines)


def rubrics_markdown() -> str:
    rows = ["| band set | bands | source | caveat |", "|---|---|---|---|"]
    for name in packaged_rubric_files():
        rubric = load_rubric(name)
        for band_set in rubric.band_sets.values():
            default = " (default)" if band_set.name == rubric.default_bands else ""
            rows.append(f"| `{band_set.name}`{default} | {band_set.describe()} | {_md(band_set.source)} | "
                        f"{_md(band_set.caveat)} |")
    return "\n".join(rows)


def rubric_catalogue_markdown() -> str:
    """The rubrics pedro ships, one row each: items, what is scored, the maximum, subtotals, band sets, source."""
    rows = ["| rubric | items | total | subtotals | band sets | source |", "|---|---|---|---|---|---|"]
    for name in packaged_rubric_files():
        rubric = load_rubric(name)
        several = ", ".join(f"{i.number}: 0-{i.points}" + (f" ({'/'.join(p.code for p in i.parts)})" if i.parts else "")
                            for i in rubric.items if not i.yes_no)
        total = f"0-{rubric.max_total}, the points of {rubric.scored_text}" + (f"; {several}" if several else "")
        subtotals = "; ".join(f"{s.label}: {rubric.item_plural} {s.items[0]}-{s.items[-1]}" for s in rubric.subtotals)
        bands = ", ".join(f"`{b}`" for b in rubric.band_sets) or rubric.band_set(None).describe()
        rows.append(f"| `{name}` | {len(rubric.items)} | {_md(total)} | {_md(subtotals) or '-'} | {_md(bands)} | "
                    f"{_md(rubric.source)} |")
    return "\n".join(rows)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


GENERATED_BLOCKS = {"rules": rules_markdown, "bands": rubrics_markdown, "rubrics": rubric_catalogue_markdown}


def render_readme(text: str) -> str:
    """README text with every generated block (between ``<!-- NAME:start -->``
    and ``<!-- NAME:end -->``) replaced by its current content."""
    for name, render in GENERATED_BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, render=render: m.group(1) + render() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":  # python -m pedro.catalogue README.md: refresh the generated blocks
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
