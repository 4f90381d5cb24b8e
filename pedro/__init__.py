"""pedro: a PEDro-scale quality scoring engine for systematic reviewers.

The data flows one way: read -> normalise -> check -> score -> audit -> write
-> report (see "How pedro is built" in the README).  The Python API is
importable from here, whatever module it lives in:

    import pedro
    result = pedro.score_file("ratings.xlsx")
    pedro.write_audited(result, "ratings.audited.xlsx")
    pedro.verify_workbook("ratings.audited.xlsx")["ok"]

The names are loaded when first used, so that ``import pedro`` (and
``pedro --help``) does not import pandas, numpy or openpyxl.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> the module that defines it
API = {
    "score_file": "pedro.engine",
    "ScoreResult": "pedro.engine",
    "write_audited": "pedro.write.audited",
    "compare_files": "pedro.compare",
    "write_disagreements": "pedro.write.disagreements",
    "read_consensus": "pedro.consensus",
    "write_consensus": "pedro.write.consensus",
    "verify_workbook": "pedro.audit.verify",
    "write_template": "pedro.write.template",
    "load_rubric": "pedro.rubric",
    "result_to_json": "pedro.report",
    "PedroError": "pedro.errors",
    "InputError": "pedro.errors",
    "OutputError": "pedro.errors",
    "RubricError": "pedro.errors",
}

__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name not in API:
        raise AttributeError(f"module 'pedro' has no attribute {name!r}")
    value = getattr(importlib.import_module(API[name]), name)
    globals()[name] = value  # looked up once
    return value


def __dir__():
    return sorted(set(globals()) | set(API))
