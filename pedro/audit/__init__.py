"""The audited workbook: its format, its tamper evidence and its verification.

- ``workbook``: the one schema (sheet names, change-log columns, Provenance
  keys) and reading an audited workbook's own sheets back;
- ``chain``: the hash chain, digests and the audit key;
- ``log``: the change-log rows that scoring and consensus write;
- ``record``: the item sheet's table as recorded at scoring (the Recorded
  cells sheet), and what changed in it since;
- ``verify``: ``pedro audit``, one small function per check.

``workbook``, ``chain``, ``log`` and ``record`` come before the engine (which
continues an audited workbook's log and logs the edits made outside pedro);
``verify`` comes after it (it scores the item sheet again).
``tests/test_layers.py`` holds both.
"""
