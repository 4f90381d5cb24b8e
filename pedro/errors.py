"""The errors pedro raises when it cannot do the job.

Each carries one plain sentence for the user: what is wrong, where, and what to
do.  The CLI prints that sentence and exits with status 2; it never shows a
traceback for these.  Problems *in the ratings* are not errors: they are
findings (see ``pedro.rules``).
"""


class PedroError(Exception):
    """Base class: pedro could not do what was asked (exit status 2)."""


class RubricError(PedroError):
    """A rubric file is missing, unreadable or inconsistent."""


class InputError(PedroError):
    """An input file cannot be used: missing, unreadable, or of the wrong kind."""


class SheetError(InputError):
    """A sheet's layout cannot be understood (no header, no item columns, ...)."""


class OutputError(PedroError):
    """An output file cannot be written where asked."""
