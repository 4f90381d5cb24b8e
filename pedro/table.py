"""Named columns of one length: the form pedro's tables take from reading to the report.

A sheet's trials, its answers, its scores and its findings are ``Table``\\ s of
numpy arrays (or lists), and become pandas DataFrames (``Table.frame``) only
where something asks for one: the workbook writers, `pedro compare`, the
plots.  A dry run (`pedro score --dry-run --json`) never does, and so never
imports pandas, whose import alone took longer than the bare read of a
10,000-trial sheet its run is measured against (issue 18).
"""

from __future__ import annotations

from itertools import chain, count
from operator import itemgetter


class Table:
    """Columns in order, each a numpy array or a list of ``length`` values, with the dtypes their DataFrame
    gives them (``dtypes``: a column's pandas dtype, object where not named and not numeric) and the name of
    its index (``index_name``: the positions 0 .. length - 1, as a RangeIndex).  Made once, not changed."""

    __slots__ = ("columns", "length", "dtypes", "index_name", "_frame")

    def __init__(self, columns: dict, length: int | None = None, dtypes: dict | None = None,
                 index_name: str | None = None):
        self.columns = dict(columns)
        if length is None:
            length = len(next(iter(self.columns.values()))) if self.columns else 0
        if any(len(values) != length for values in self.columns.values()):
            raise ValueError("the columns of a table must all have its length "
                             f"({length}): {({name: len(v) for name, v in self.columns.items()})}")
        self.length = length
        self.dtypes = dict(dtypes or {})
        self.index_name = index_name
        self._frame = None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, name: str):
        return self.columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def take(self, positions) -> Table:
        """The rows at ``positions`` (an array or list of integers), in that order."""
        import numpy as np

        positions = np.asarray(positions, dtype=np.intp)
        at = positions.tolist()
        picked = {}
        for name, values in self.columns.items():
            if isinstance(values, np.ndarray):
                picked[name] = values[positions]
            else:  # a list's values picked at C speed (itemgetter gives a single value alone, not in a tuple)
                picked[name] = list(itemgetter(*at)(values)) if len(at) > 1 else [values[p] for p in at]
        return Table(picked, len(positions), self.dtypes, self.index_name)

    def frame(self):
        """The table as a pandas DataFrame (made once): object columns as they are, numeric arrays with
        their dtype, ``dtypes`` where named."""
        if self._frame is None:
            import numpy as np
            import pandas as pd

            index = pd.RangeIndex(self.length, name=self.index_name)
            series = {}
            for name, values in self.columns.items():
                dtype = self.dtypes.get(name)
                if dtype is None and not (isinstance(values, np.ndarray) and values.dtype != object):
                    dtype = object
                if dtype == "str" and not len(values):
                    series[name] = pd.Series([], index=index, dtype=object)  # as pandas types an empty list
                    continue
                series[name] = pd.Series(values, index=index, dtype=dtype, copy=False)
            self._frame = pd.DataFrame(series, index=index, columns=list(self.columns))
        return self._frame

    @staticmethod
    def concat(tables: list[Table], names: list[str]) -> Table:
        """The rows of ``tables`` one after another, in the columns ``names`` (each table has them all); the
        dtypes and index name of the first."""
        import numpy as np

        if not tables:
            return Table({name: [] for name in names})
        columns = {}
        for name in names:
            parts = [table[name] for table in tables]
            if all(isinstance(p, np.ndarray) for p in parts):
                columns[name] = np.concatenate(parts)
            else:
                columns[name] = list(chain.from_iterable(p.tolist() if isinstance(p, np.ndarray) else p
                                                         for p in parts))
        first = tables[0]
        return Table(columns, sum(len(t) for t in tables), first.dtypes, first.index_name)


def missing(values):
    """Per value of an array, as a boolean array: whether it is missing (None, NaN, NaT; pandas' NA), as
    ``pd.isna`` says, without pandas where the values are numpy's or Python's own."""
    import numpy as np

    if not isinstance(values, np.ndarray):  # a list: its values as they are (np.asarray would make text of them)
        values = np.fromiter(values, dtype=object, count=len(values))
    if values.dtype.kind in "biu":
        return np.zeros(len(values), dtype=bool)
    if values.dtype.kind in "fcmM":
        return values != values
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    try:
        none = np.asarray(values == None, dtype=bool)  # noqa: E711 - elementwise
    except TypeError:  # pandas' NA will not say whether it equals None
        import pandas as pd

        return pd.isna(values)
    return none | unequal_to_itself(values)


def unequal_to_itself(values):
    """Per value of an object array: NaN, NaT or pandas' NA, the missing values that are not None (None equals
    itself).  NaN and NaT are the values unequal to themselves: a quicker test than ``pd.isna``."""
    import numpy as np

    try:
        with np.errstate(invalid="ignore"):
            return np.asarray(values != values, dtype=bool)
    except TypeError:  # pandas' NA will not say whether it equals itself
        import pandas as pd

        return pd.isna(values) & np.fromiter((v is not None for v in values.tolist()), dtype=bool, count=len(values))


def first_seen_codes(values) -> tuple:
    """``(codes, distinct)`` such that ``values[i]`` equals ``distinct[codes[i]]``, the first of the values
    equal to it as Python compares them (1, 1.0 and True are one value, as pandas' factorize has them, unlike
    ``pedro.normalise.distinct_values``); -1 for None and NaN: ``pd.factorize`` without pandas.  Each value is
    hashed once, at C speed: ``dict.setdefault`` gives the position where a value equal to it was first seen
    (and keeps that first value), and the codes are those positions ranked (660,000 answers: 58-65 -> 48-55 ms
    against a pass to find the distinct values and another to look each value's code up, issue 18)."""
    import numpy as np

    listed = object_array(values).tolist()
    first_at: dict = {}
    firsts = np.fromiter(map(first_at.setdefault, listed, count()), dtype=np.intp, count=len(listed))
    kept = [(value, at) for value, at in first_at.items() if value is not None and value == value]
    code_at = np.full(len(listed), -1, dtype=np.intp)  # a code for each position where a kept value was first
    code_at[[at for _, at in kept]] = np.arange(len(kept), dtype=np.intp)
    return code_at[firsts], [value for value, _ in kept]


def object_array(values):
    """A one-dimensional object array of the values, whatever they are."""
    import numpy as np

    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    if hasattr(values, "to_numpy"):  # a pandas Series: its own array, not a copy, when it holds objects
        return values.to_numpy(dtype=object)
    values = list(values)
    return np.fromiter(values, dtype=object, count=len(values))  # tuples stay whole, unlike np.array
