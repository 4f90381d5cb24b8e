"""Tamper evidence for audited workbooks: the change-log hash chain, the digests
recorded in the Provenance sheet, and their verification (`pedro audit`, in ``pedro.audit.verify``).

Each change-log row carries a hash over its own content and the previous row's
hash, so a deleted, reordered or edited row breaks the chain.  The Provenance
sheet records digests of the item answers, of the Scores sheet as written and
of the Recorded cells (each of whose rows carries its own digest), the head of
the chain, which key sealed them (``key_fingerprint``), and a digest over the
Provenance rows themselves.

With ``PEDRO_AUDIT_KEY`` set, every hash and digest is an HMAC-SHA256 under that
key, so someone without the key cannot forge a consistent chain; verifying with
the key set rejects plain SHA-256 values, so a forger cannot downgrade either.
Use the key from the first run on: a log begun without it will not verify
with it.  Without a key
they are plain SHA-256: they detect accidents and casual edits, not a
determined forger, who can recompute them.  Each stored hash says which it is
(``sha256:`` or ``hmac-sha256:``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from json.encoder import encode_basestring

KEY_ENV = "PEDRO_AUDIT_KEY"
GENESIS = "pedro change log"


def audit_key() -> bytes | None:
    key = os.environ.get(KEY_ENV)
    return key.encode("utf-8") if key else None


def canonical(value) -> str:
    """One cell value as text that survives a round trip through a workbook."""
    kind = type(value)
    if kind is str:  # the common cases first: millions of cells at the scale of the PEDro database
        return value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item"):  # numpy scalars
        return canonical(value.item())
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# A row's digest covers its values as the JSON array json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# writes of their canonical texts, the form every earlier workbook was sealed with.  Every canonical value is
# text, and such an array is "[" + the strings, each quoted and escaped by json's own (C) string encoder, joined by
# "," + "]": the same bytes, without the encoder's set-up for every one of a table's rows (40% of the time).
_QUOTED = encode_basestring


def _serialise(values) -> bytes:
    return ("[" + ",".join(map(_QUOTED, map(canonical, values))) + "]").encode("utf-8")


def digest(payload: bytes, key: bytes | None = None, mode: str | None = None) -> str:
    """``sha256:<hex>`` or, with a key, ``hmac-sha256:<hex>``.  ``mode`` forces
    the kind when verifying a stored value."""
    if mode is None:
        mode = "hmac-sha256" if key else "sha256"
    if mode == "hmac-sha256":
        if key is None:
            raise MissingKey()
        return "hmac-sha256:" + hmac.new(key, payload, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


class MissingKey(Exception):
    """A value was made with PEDRO_AUDIT_KEY, which is not set now."""


UNKEYED = "none"  # the key fingerprint of a workbook sealed without a key
_FINGERPRINTED = b"pedro audit key fingerprint"


def key_fingerprint(key: bytes | None) -> str:
    """What the Provenance records of the key: an HMAC of a fixed text under
    it (never the key), or ``UNKEYED``.  `pedro audit` compares it with the
    key it is given, to say that a key is missing or different rather than
    report every hash as tampered."""
    return digest(_FINGERPRINTED, key) if key else UNKEYED


def key_mismatch(recorded: str | None, key: bytes | None) -> str | None:
    """Why ``key`` cannot verify or continue what was sealed under the key
    whose fingerprint is ``recorded``, as words that follow "was sealed ";
    None where it can, or where nothing was recorded (a workbook from before
    pedro recorded fingerprints)."""
    if recorded is None or recorded == key_fingerprint(key):
        return None
    if recorded == UNKEYED:
        return f"without a key, but a key is given ({KEY_ENV})"
    return f"with a key; the key given ({KEY_ENV}) is {'missing' if key is None else 'different'}"


def row_digest(values, key: bytes | None = None, mode: str | None = None) -> str:
    """A digest over one row of values."""
    return digest(_serialise(values), key, mode)


def table_digest(rows, key: bytes | None = None, mode: str | None = None) -> str:
    """A digest over a table of values (row by row, in order)."""
    hasher = hashlib.sha256()
    batch = []
    for row in rows:
        batch.append(_serialise(row))
        if len(batch) == 10_000:
            hasher.update(b"\n".join(batch) + b"\n")
            batch = []
    if batch:
        hasher.update(b"\n".join(batch) + b"\n")
    return digest(hasher.digest(), key, mode)


def chain_hashes(rows, previous: str | None, key: bytes | None = None) -> list[str]:
    """The hash of each row, chained: hash(row content + previous row's hash)."""
    hashes = []
    previous = previous or GENESIS
    for row in rows:
        current = digest(_serialise(row) + b"|" + previous.encode("ascii"), key)
        hashes.append(current)
        previous = current
    return hashes


def verify_chain(rows, hashes, key: bytes | None = None) -> dict:
    """{"ok", "rows", "first_bad_row", "reason"}; rows are numbered from 1 (the
    first row under the header)."""
    previous = GENESIS
    for number, (row, stored) in enumerate(zip(rows, hashes), start=1):
        stored = canonical(stored)
        mode = stored.split(":", 1)[0] if ":" in stored else None
        if mode not in ("sha256", "hmac-sha256"):
            return {"ok": False, "rows": len(rows), "first_bad_row": number,
                    "reason": f"row {number} has no valid hash ('{stored}')"}
        if key is not None and mode != "hmac-sha256":
            return {"ok": False, "rows": len(rows), "first_bad_row": number,
                    "reason": f"row {number} is hashed without a key although {KEY_ENV} is set: the chain was "
                              "written or recomputed without the key"}
        try:
            expected = digest(_serialise(row) + b"|" + previous.encode("ascii"), key, mode)
        except MissingKey:
            return {"ok": False, "rows": len(rows), "first_bad_row": number,
                    "reason": f"row {number} was hashed with {KEY_ENV}; set it to verify the chain"}
        if not hmac.compare_digest(expected, stored):
            return {"ok": False, "rows": len(rows), "first_bad_row": number,
                    "reason": f"row {number} does not match its hash: it, or a row before it, was edited, "
                              "deleted or moved"}
        previous = stored
    return {"ok": True, "rows": len(rows), "first_bad_row": None, "reason": None}


def verify_digest(rows, stored: str, key: bytes | None) -> tuple[bool, str | None]:
    """(matches, reason when it cannot be checked)."""
    stored = canonical(stored)
    mode = stored.split(":", 1)[0] if ":" in stored else None
    if mode not in ("sha256", "hmac-sha256"):
        return False, f"no valid digest recorded ('{stored}')"
    if key is not None and mode != "hmac-sha256":
        return False, f"recorded without a key although {KEY_ENV} is set: written or recomputed without the key"
    try:
        return hmac.compare_digest(table_digest(rows, key, mode), stored), None
    except MissingKey:
        return False, f"recorded with {KEY_ENV}; set it to verify"
