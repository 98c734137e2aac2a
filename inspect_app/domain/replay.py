"""Replay memory of a record: every ``op_id`` it ever applied, compactly (DESIGN §7).

A retried write must get the first answer again and never apply twice, however many
other writes happened in between, so a record remembers each of its operations for
its whole life. To keep records small (a busy inspection has hundreds of saves) no
response is kept; an operation is remembered as one short string under a short key::

    inspection.ops = {op_key(op_id): "<fingerprint> <target> <rev>", ...}

* ``op_key``: the first 60 bits of the SHA-256 of the client's op_id, base64url
  (10 characters, whatever the op_id's length; two op_ids of one record share a key
  with a chance of about 10^-10 after 10.000 ops);
* fingerprint: the first 60 bits of the SHA-256 of what the op asked for (kind, target
  and content; op_id and base_rev excluded), base64url — a retry with other content is
  refused as a reused op_id;
* target: one letter for the kind of write, then what it wrote (:data:`KINDS`);
* rev: the revision it produced (the answer's, the item's, or the record's).

The services rebuild a replay's response from the current record and the target.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

#: Target letters: what a remembered op wrote, so that its response can be rebuilt.
KINDS = {
    "a": "answer",       # a<criterion>: PUT of an answer
    "p": "answer photo",  # p<criterion> <photo id>: a photo added to an answer
    "i": "item change",  # i<item id>: PATCH of a remediation item (or a review)
    "j": "item photo",   # j<item id>: a progress photo on an item
    "n": "new item",     # n<item id>: an item added by hand
    "f": "finalize",     # f: the record finalized
    "r": "round answer",  # r<round> <criterion>: an assessment's appraisal of a criterion
    "e": "explanation",  # e<criterion>: the unit's explanation of a criterion
    "s": "stage",        # s<stage>: an assessment moved to that stage
    "x": "explanation photo",  # x<criterion> <photo id>: a photo added to an explanation
    "d": "photo removed",  # d<criterion> <photo id>: a photo taken off an answer
}
KEY_CHARS = 10
FINGERPRINT_CHARS = 10


def _short(digest: bytes, chars: int) -> str:
    return base64.urlsafe_b64encode(digest).decode("ascii")[:chars]


def op_key(op_id: str) -> str:
    """The short key an op_id is remembered under."""
    return _short(hashlib.sha256(op_id.encode("utf-8", "surrogatepass")).digest(), KEY_CHARS)


def short_fingerprint(hex_digest: str) -> str:
    """The stored form of a content fingerprint (a SHA-256 hex digest)."""
    return _short(bytes.fromhex(hex_digest), FINGERPRINT_CHARS)


@dataclass(frozen=True)
class Memo:
    """One remembered operation, unpacked."""

    fingerprint: str
    kind: str  # a key of KINDS
    target: str  # criterion id, item id, "<criterion> <photo id>", or "" (finalize)
    rev: int


def pack(memo: Memo) -> str:
    return f"{memo.fingerprint}{memo.kind}{memo.target} {memo.rev}"


def unpack(packed: str) -> Memo:
    head, _, rev = packed.rpartition(" ")
    fp, rest = head[:FINGERPRINT_CHARS], head[FINGERPRINT_CHARS:]
    return Memo(fingerprint=fp, kind=rest[:1], target=rest[1:], rev=int(rev or 0))


# ---------------------------------------------------------------- older records

def _legacy_memo(hex_fp: str, status: int, result: dict[str, Any], at: str) -> Memo | None:
    """What an op remembered in the old form (its whole response) targeted."""
    fp = short_fingerprint(hex_fp) if _is_hex(hex_fp) else hex_fp[:FINGERPRINT_CHARS]
    rev = result.get("rev") if isinstance(result.get("rev"), int) else 0
    if "answer" in result and isinstance(result.get("photo"), dict):
        return Memo(fp, "p", f"{result.get('criterion')} {result['photo'].get('id', '')}", rev)
    if "answer" in result and "criterion" in result:
        return Memo(fp, "a", str(result["criterion"]), rev)
    if "answers" in result and "status" in result:
        return Memo(fp, "f", "", rev)
    if "inspection" in result and "id" in result:
        if status == 201:
            kind = "n" if result.get("created_at") == at else "j"
        else:
            kind = "i"
        return Memo(fp, kind, str(result["id"]), rev)
    return None


def _is_hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def compact_ops(ops: Any) -> dict[str, str]:
    """Remembered ops in the current form, from either form: ``{op_id: {fingerprint,
    status, result, at}}`` (schema 1, whole responses) or already compact."""
    if not ops:
        return {}
    if all(type(v) is str for v in ops.values()):  # already compact: the usual case
        return dict(ops)
    out: dict[str, str] = {}
    for key, value in ops.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, dict) and isinstance(value.get("fingerprint"), str):
            memo = _legacy_memo(value["fingerprint"], value.get("status", 200),
                                value.get("result") or {}, value.get("at", ""))
            if memo is not None:
                out[op_key(key)] = pack(memo)
    return out
