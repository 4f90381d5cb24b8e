"""Text and Markdown catalogues of the rules and band sets, generated from the
registry and the rubric so that `pedro rules`, `pedro rubrics` and the README
cannot drift apart."""

from __future__ import annotations

from .rubric import load_rubric, packaged_rubric_files


def rules_text() -> str:
    from .rules import RULES

    lines = []
    for rule in RULES:
        scope = " (once per sheet)" if rule.scope == "sheet" else ""
        lines.append(f"{rule.id}  {rule.severity:<8}  {rule.name}{scope}")
        lines.append(f"      {rule.summary}")
        lines.append(f"      source: {rule.criterion}")
    return "\n".join(lines)


def rules_markdown() -> str:
    from .rules import RULES

    rows = ["| id | name | severity | what it checks | PEDro criterion or note |", "|---|---|---|---|---|"]
    for rule in RULES:
        rows.append(f"| {rule.id} | {rule.name} | {rule.severity} | {_md(rule.summary)} | {_md(rule.criterion)} |")
    return "\n".join(rows)


def rubrics_text() -> str:
    lines = []
    for name in packaged_rubric_files():
        rubric = load_rubric(name)
        lines.append(f"rubric {rubric.name}: {rubric.title} ({len(rubric.items)} items, "
                     f"items {', '.join(map(str, rubric.scored_items))} scored)")
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


def _md(text: str) -> str:
    return text.replace("|", "\\|")


GENERATED_BLOCKS = {"rules": rules_markdown, "bands": rubrics_markdown}


def render_readme(text: str) -> str:
    """README text with every generated block (between ``<!-- NAME:start -->``
    and ``<!-- NAME:end -->``) replaced by its current content."""
    import re

    for name, render in GENERATED_BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, render=render: m.group(1) + render() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":  # python -m pedro.catalogue README.md: refresh the generated blocks
    import sys
    from pathlib import Path

    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
