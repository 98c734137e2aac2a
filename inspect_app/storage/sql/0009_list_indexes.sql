-- Schema 9: list pages that cost the same at 100.000 records as at 1.000 (issue 16 point
-- 1, issue 12 point 5): the indexes of the units', users' and items' sort orders, and
-- counts kept up to date in the transaction of the write that changes them (what the
-- TinyDB store answers with one len() per unit of its index), so that a list's total is
-- a sum over a few rows per unit instead of a count of every record.
--
-- inspection_counts: records by unit, kind, status, "has a plan", "finalized" (the
-- filters of the lists without a period, checklist or team member: those are selective,
-- their count(*) reads an index range). item_counts: remediation items by unit, status,
-- "its record is a draft inspection" (hidden from commune officers) and deadline. Both
-- are kept by the store (storage/postgres_store.py: one statement per table and write,
-- its rows taken in key order, so that two writes never wait for each other crosswise;
-- a bulk load changes each row once: a row changed many times in one transaction costs
-- more each time). Units and users are counted by count(*) over their primary key.

CREATE INDEX units_sorted ON units (sort_name, exact_name, code);
CREATE INDEX users_sorted ON users (role_rank, username);

-- Items: a draft inspection's items are hidden from unit users (the record's flag, kept
-- on the item row so that lists and counts need no join); the deadline order in full.
ALTER TABLE items ADD COLUMN hidden boolean NOT NULL DEFAULT false;
UPDATE items SET hidden = true FROM inspections r
    WHERE r.id = items.record_id AND r.kind IS NOT DISTINCT FROM 'inspection'
      AND r.status IS DISTINCT FROM 'finalized';
CREATE INDEX items_due_order ON items (due_key, inspection, number, id);
CREATE INDEX items_unit_due_order ON items (unit, due_key, inspection, number, id);

CREATE TABLE inspection_counts (
    unit       text COLLATE "C" NOT NULL,
    kind       text COLLATE "C",
    status     text COLLATE "C",
    has_items  boolean NOT NULL,
    finalized  boolean NOT NULL,
    n          bigint NOT NULL
);
-- One row per key, a missing kind or status (NULL) a key of its own (E'\x01' is never
-- a kind or status; NULLS NOT DISTINCT would need PostgreSQL 15).
CREATE UNIQUE INDEX inspection_counts_key ON inspection_counts
    (unit, coalesce(kind, E'\x01'), coalesce(status, E'\x01'), has_items, finalized);
INSERT INTO inspection_counts (unit, kind, status, has_items, finalized, n)
    SELECT unit, kind, status, items_total > 0, finalized_at IS NOT NULL, count(*)
    FROM inspections GROUP BY 1, 2, 3, 4, 5;

CREATE TABLE item_counts (
    unit     text COLLATE "C" NOT NULL,
    status   text COLLATE "C",
    hidden   boolean NOT NULL,
    due_key  text COLLATE "C" NOT NULL,
    n        bigint NOT NULL
);
CREATE UNIQUE INDEX item_counts_key ON item_counts
    (unit, coalesce(status, E'\x01'), hidden, due_key);
INSERT INTO item_counts (unit, status, hidden, due_key, n)
    SELECT unit, status, hidden, due_key, count(*) FROM items GROUP BY 1, 2, 3, 4;
