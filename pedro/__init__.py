"""pedro: a PEDro-scale quality scoring engine for systematic reviewers.

The data flows one way: read -> normalise -> score -> check -> write.  The
package imports nothing heavy at import time so that ``pedro --help`` is fast;
pandas, numpy and openpyxl are imported by the modules that use them.
"""

__version__ = "0.1.0"
