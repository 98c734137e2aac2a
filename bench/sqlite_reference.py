"""The reference for :mod:`bench.bench_writes`: a minimal Flask + SQLite app that does
the same answer write as the real API, as cheaply as a plain SQL app would.

    gunicorn -w 2 "bench.sqlite_reference:create_app()"   (REFERENCE_DB=<file>)

``PUT /api/v1/inspections/<id>/answers/<criterion>`` with ``Authorization: Bearer
<token>`` and the same JSON body (``op_id``, ``base_rev``, the answer's fields). One
transaction (``BEGIN IMMEDIATE``, WAL journal, ``synchronous=FULL``: every commit is
fsynced) per write, with the protocol of DESIGN §7:

* the token's SHA-256 is looked up in ``tokens``, the record in ``inspections``;
* ``op_id`` already in ``ops``: the same fingerprint gives the stored answer again
  (200, nothing written), another fingerprint a 409;
* the answer's current content equal to the new one: 200, nothing written; a
  ``base_rev`` other than the answer's revision: 409 with the current answer;
* otherwise the answer is written with ``rev + 1``, the op remembered, the record's
  revision bumped, and the transaction committed.

No validation, scoring or checklist: the reference is the floor of what the storage
and the web stack cost, not a second implementation of the app.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading

from flask import Flask, g, jsonify, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, username TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inspections (id TEXT PRIMARY KEY, rev INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    inspection_id TEXT NOT NULL, criterion_id TEXT NOT NULL, content TEXT NOT NULL,
    rev INTEGER NOT NULL, by TEXT NOT NULL, PRIMARY KEY (inspection_id, criterion_id));
CREATE TABLE IF NOT EXISTS ops (
    op_id TEXT PRIMARY KEY, inspection_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    criterion_id TEXT NOT NULL, rev INTEGER NOT NULL);
"""
CONTENT_KEYS = ("value", "inputs", "na", "note", "explanation")


def connect(path: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA busy_timeout=60000")
    return con


def prepare(path: str, tokens: dict[str, str], inspection_ids: list[str]) -> None:
    """Create the database with ``tokens`` (token: username) and empty inspections."""
    con = connect(path)
    con.executescript(SCHEMA)
    with con:
        con.execute("BEGIN")
        con.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)",
                        [(hashlib.sha256(t.encode()).hexdigest(), u) for t, u in tokens.items()])
        con.executemany("INSERT OR IGNORE INTO inspections VALUES (?, 0)",
                        [(i,) for i in inspection_ids])
    con.close()


def create_app() -> Flask:
    app = Flask(__name__)
    path = os.environ["REFERENCE_DB"]
    local = threading.local()

    def db() -> sqlite3.Connection:
        con = getattr(local, "con", None)
        if con is None:
            con = local.con = connect(path)
        return con

    @app.put("/api/v1/inspections/<inspection_id>/answers/<criterion_id>")
    def put_answer(inspection_id: str, criterion_id: str):
        kind, _, token = request.headers.get("Authorization", "").partition(" ")
        con = db()
        row = con.execute("SELECT username FROM tokens WHERE hash = ?",
                          (hashlib.sha256(token.strip().encode()).hexdigest(),)).fetchone()
        if kind.lower() != "bearer" or row is None:
            return jsonify(error="invalid token"), 401
        g.user = row[0]
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("op_id"), str) \
                or not isinstance(body.get("base_rev"), int):
            return jsonify(error="send op_id and base_rev"), 400
        content = {k: body[k] for k in CONTENT_KEYS if k in body}
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        fingerprint = hashlib.sha256(f"a {criterion_id} {text}".encode()).hexdigest()
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("SELECT rev FROM inspections WHERE id = ?",
                           (inspection_id,)).fetchone() is None:
                con.execute("ROLLBACK")
                return jsonify(error="no such inspection"), 404
            op = con.execute("SELECT fingerprint, criterion_id, rev FROM ops WHERE op_id = ?",
                             (body["op_id"],)).fetchone()
            if op is not None:
                con.execute("ROLLBACK")
                if op[0] != fingerprint:
                    return jsonify(error="op_id reused for a different change"), 409
                return jsonify(criterion=op[1], rev=op[2]), 200
            current = con.execute("SELECT content, rev FROM answers WHERE inspection_id = ? "
                                  "AND criterion_id = ?", (inspection_id, criterion_id)).fetchone()
            rev = current[1] if current else 0
            if current is not None and current[0] == text:
                con.execute("ROLLBACK")
                return jsonify(criterion=criterion_id, rev=rev, answer=content), 200
            if body["base_rev"] != rev:
                con.execute("ROLLBACK")
                return jsonify(error="changed by a team mate", current=json.loads(current[0])
                               if current else None, rev=rev), 409
            con.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                        (inspection_id, criterion_id, text, rev + 1, g.user))
            con.execute("INSERT INTO ops VALUES (?, ?, ?, ?, ?)",
                        (body["op_id"], inspection_id, fingerprint, criterion_id, rev + 1))
            con.execute("UPDATE inspections SET rev = rev + 1 WHERE id = ?", (inspection_id,))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return jsonify(criterion=criterion_id, rev=rev + 1, answer=content), 200

    return app
