"""Deprecated: `pedro audit`'s verification moved to ``pedro.audit.verify``
(issue 12).  Use ``pedro.verify_workbook``."""

import warnings

from .audit.verify import band_sensitivity, verify_workbook

warnings.warn("pedro.verify is deprecated: import verify_workbook from pedro (or pedro.audit.verify)",
              DeprecationWarning, stacklevel=2)

__all__ = ["band_sensitivity", "verify_workbook"]
