"""Deprecated: the audited-workbook writer moved to ``pedro.write.audited``
(issue 12: ``pedro.sheets`` only reads).  Use ``pedro.write_audited``."""

import warnings

from ..write.audited import default_output, write_audited

warnings.warn("pedro.sheets.audited is deprecated: import write_audited from pedro (or pedro.write.audited)",
              DeprecationWarning, stacklevel=2)

__all__ = ["default_output", "write_audited"]
