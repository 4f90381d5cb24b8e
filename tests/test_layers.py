"""The shape of the package (issue 12): imports go one way through the
stages, no module cycles, short functions, one spelling of each name of the
audited-workbook format, heavy libraries imported only where used.

The layers are listed here, once; the README's "How pedro is built" draws
them.  A module may import from its own layer and from earlier ones, never
from a later one; imports inside functions count.
"""

from __future__ import annotations

import ast
import configparser
import importlib
import re
import sys
import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pedro"

# In order: each entry is (layer name, module names or prefixes in it).
LAYERS = [
    ("foundation", ["pedro", "pedro.errors", "pedro.text", "pedro.runtime", "pedro.rubric", "pedro.table"]),
    ("read", ["pedro.sheets"]),
    ("normalise", ["pedro.normalise"]),
    ("check", ["pedro.rules"]),
    ("score", ["pedro.scoring"]),
    # The audited workbook's format comes before the engine, which continues an audited input's
    # change log; its verification comes after it, because it scores the item sheet again.
    ("audit format", ["pedro.audit", "pedro.audit.workbook", "pedro.audit.chain", "pedro.audit.log",
                      "pedro.audit.record"]),
    ("engine", ["pedro.engine"]),
    ("audit verification", ["pedro.audit.verify"]),
    ("assessors", ["pedro.agreement", "pedro.compare", "pedro.consensus"]),
    ("write", ["pedro.write"]),
    ("report", ["pedro.report", "pedro.plot", "pedro.jsonout", "pedro.progress", "pedro.catalogue", "pedro.export",
                "pedro.page"]),
    ("command line", ["pedro.batch", "pedro.cli"]),
]

# Old import paths kept for users' scripts: each only warns and re-exports from its new home.
DEPRECATED_ALIASES = {"pedro.sheets.audited": "pedro.write.audited", "pedro.verify": "pedro.audit.verify"}

# Imported inside the functions that use them, so that `pedro --help` and the commands that do
# not need them start fast: each costs a tenth of a second or more to import.
HEAVY = {"pandas", "numpy", "openpyxl", "matplotlib", "scipy", "statsmodels", "krippendorff", "orjson",
         "python_calamine", "defusedxml", "jinja2"}
# The command line imports the library inside each command, so that `pedro --help` imports none of it.
LAZY_BY_DESIGN = {"pedro.cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources() -> dict[str, str]:
    return {module_name(p): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, source: str, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported pedro module, line, inside a function) for every import in ``source``."""
    is_package = name in known and any(k.startswith(name + ".") for k in known)
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node, inside in _walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # "from . import agreement" imports the module pedro.agreement, not the package.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found += [(t, node.lineno, inside) for t in targets if t == "pedro" or t.startswith("pedro.")]
    return found


def _walk(tree, inside=False):
    for node in ast.iter_child_nodes(tree):
        yield node, inside
        yield from _walk(node, inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def layer_of(module: str) -> int:
    """The index of the layer that owns ``module``: the longest matching name or prefix."""
    best, best_length = None, -1
    for index, (_, members) in enumerate(LAYERS):
        for member in members:
            if (module == member or module.startswith(member + ".")) and len(member) > best_length:
                best, best_length = index, len(member)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py and the README")
    return best


def backward_imports(sources: dict[str, str]) -> list[str]:
    known = set(sources)
    problems = []
    for name, source in sources.items():
        if name in DEPRECATED_ALIASES:
            continue
        for target, line, _ in imports_of(name, source, known):
            if layer_of(target) > layer_of(name):
                problems.append(f"{name} (layer '{LAYERS[layer_of(name)][0]}') line {line} imports {target} "
                                f"(later layer '{LAYERS[layer_of(target)][0]}')")
    return problems


def cycles(sources: dict[str, str]) -> list[list[str]]:
    known = set(sources)
    graph = {name: {t for t, _, _ in imports_of(name, source, known) if t in known and t != name}
             for name, source in sources.items() if name not in DEPRECATED_ALIASES}
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_every_module_is_in_a_layer():
    for name in package_sources():
        layer_of(name)


def test_imports_go_one_way():
    assert backward_imports(package_sources()) == []


def test_no_module_imports_itself_through_others():
    # "pedro" (the package's __init__) is where everyone gets __version__; it imports nothing.
    assert cycles(package_sources()) == []


def test_a_backward_import_is_caught():
    """The check is not blind: a reading module that imports a writer, at the top or inside a
    function, fails it, and so does a cycle."""
    sources = package_sources()
    sources["pedro.sheets.synthetic"] = "from ..write.audited import write_audited\n"
    sources["pedro.rules.synthetic"] = "def check(ctx, rule):\n    from ..engine import score_file\n"
    problems = backward_imports(sources)
    assert len(problems) == 2, problems
    assert "pedro.sheets.synthetic (layer 'read') line 1 imports pedro.write.audited" in problems[0]
    assert "pedro.rules.synthetic (layer 'check') line 2 imports pedro.engine" in problems[1]
    sources = package_sources()
    sources["pedro.sheets.one"] = "from . import two\n"
    sources["pedro.sheets.two"] = "def f():\n    from .one import x\n"
    assert ["pedro.sheets.one", "pedro.sheets.two", "pedro.sheets.one"] in cycles(sources)


def test_function_level_imports_are_heavy_libraries_only():
    """Imports sit at the top of a module, except the heavy libraries (HEAVY) and the command
    line's per-command imports."""
    lazy = []
    for name, source in package_sources().items():
        if name in LAZY_BY_DESIGN:
            continue
        for node, inside in _walk(ast.parse(source)):
            if inside and isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
                if any(m.split(".")[0] not in HEAVY for m in modules):
                    lazy.append(f"{name} line {node.lineno}: {', '.join(modules)}")
    assert lazy == []


def _function_lengths(source: str):
    """(name, line, length) of every function: its lines from `def` to the end, docstring excluded."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                length -= first.end_lineno - first.lineno + 1
            yield node.name, node.lineno, length


@pytest.mark.parametrize("prefix, limit", [("pedro", 60), ("pedro.audit", 40)])
def test_functions_are_short(prefix, limit):
    long = [f"{name}.{function} (line {line}): {length} lines"
            for name, source in package_sources().items() if name == prefix or name.startswith(prefix + ".")
            for function, line, length in _function_lengths(source) if length > limit]
    assert long == [], f"functions over {limit} lines: split them into named steps"


def test_function_length_counts_code_not_docstring():
    source = "def f():\n    '''doc\n    more doc'''\n    a = 1\n\n    return a\n"
    assert list(_function_lengths(source)) == [("f", 1, 4)]


def _string_constants(source: str) -> list[str]:
    """Every string literal in the code, docstrings left out."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    strings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            strings.append(node.value)
        elif isinstance(node, ast.JoinedStr):  # the literal parts of an f-string
            strings += [v.value for v in node.values if isinstance(v, ast.Constant)]
    return strings


def _schema_names() -> list[str]:
    from pedro.audit import workbook

    # The change log's headers as the sheet shows them; its lower-case column names are also the
    # tidy answers' and the findings' columns, another format (pedro.normalise, pedro.rules.base).
    names = [*workbook.PEDRO_SHEETS, workbook.PROVENANCE_MARK, *workbook.column_headers(workbook.LOG_COLUMNS),
             workbook.STUDY_COLUMN, workbook.ROW_COLUMN, workbook.TOTAL_COLUMN, workbook.MIN_COLUMN,
             workbook.MAX_COLUMN]
    names += [value for key, value in vars(workbook.Key).items() if not key.startswith("_")]
    return names


# Schema words that are also ordinary words of other formats, with where and why they appear.
OTHER_MEANINGS = {
    ("pedro.report", "input"), ("pedro.report", "studies"), ("pedro.report", "rubric"),  # JSON report keys
    ("pedro.report", "bands"), ("pedro.report", "assessors"),
    ("pedro.batch", "input"), ("pedro.batch", "output"),  # a batch's JSON report keys
    ("pedro.audit.verify", "bands"),  # the audit report's JSON key
    ("pedro.compare", "bands"),  # trial differences' JSON key
    ("pedro.cli", "output"), ("pedro.cli", "bands"), ("pedro.cli", "rubric"),  # option names
    ("pedro.plot", "bands"),  # a figure kind
    ("pedro.catalogue", "bands"),  # the README's generated block
    ("pedro.rubric", "rubric"), ("pedro.rubric", "bands"),  # the rubric file's TOML keys
    ("pedro.write.disagreements", "bands"),  # a trial-differences row's key
    ("pedro.compare", "Item"), ("pedro.compare", "Reason"),  # the disagreement workbook's own columns
    ("pedro.write.template", "Item"),  # the "About the scale" sheet's column
    ("pedro.write.audited", "Sheet"),  # the name a sheet gets when its own is unusable
    ("pedro.rules", "Rule"), ("pedro.rules.base", "Rule"),  # the class's name in __all__ and an annotation
}


def test_audited_workbook_names_are_spelt_once():
    """Sheet names, change-log headers, Scores columns and Provenance keys appear as a string
    literal in pedro/audit/workbook.py and nowhere else (the change-log headers are made there
    from the column names, so they need not be spelt at all)."""
    sources = package_sources()
    counts = {}
    for name, source in sources.items():
        for text in _string_constants(source):
            counts.setdefault(text, []).append(name)
    repeated = {}
    for word in _schema_names():
        places = [m for m in counts.get(word, []) if (m, word) not in OTHER_MEANINGS]
        if [m for m in places if m != "pedro.audit.workbook"]:
            repeated[word] = places
    assert repeated == {}
    # Every exception is still needed: a stale one would hide a new use of the word there.
    assert [pair for pair in sorted(OTHER_MEANINGS) if pair[0] not in counts.get(pair[1], [])] == []


def test_deprecated_paths_warn_and_still_work():
    for old, new in DEPRECATED_ALIASES.items():
        sys.modules.pop(old, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(old)
        assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught), old
        moved = importlib.import_module(new)
        for exported in module.__all__:
            assert getattr(module, exported) is getattr(moved, exported)


def test_public_api_from_pedro_itself():
    import pedro

    for name, home in pedro.API.items():
        assert getattr(pedro, name) is getattr(importlib.import_module(home), name)
    with pytest.raises(AttributeError):
        pedro.no_such_name  # noqa: B018


def test_setup_installs_every_package():
    """A non-editable install carries every folder of the package (setup.cfg lists them)."""
    config = configparser.ConfigParser()
    config.read(PACKAGE.parent / "setup.cfg")
    listed = set(re.split(r"\s+", config["options"]["packages"].strip()))
    folders = {module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert folders <= listed
