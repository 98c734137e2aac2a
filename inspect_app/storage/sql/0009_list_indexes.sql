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
-- its rows taken in key order, so that two writes never wait for each other crosswise).
-- record_counts: how many units and users (kept by triggers: one row per table).

CREATE INDEX units_sorted ON units (sort_name, exact_name, code);
CREATE INDEX users_sorted ON users (role_rank, username);

-- Items: a draft inspection's items are hidden from unit users (the record's flag, kept
-- on the item row so that lists and counts need no join); the deadline order in full.
ALTER TABLE items ADD COLUMN hidden boolean NOT NULL DEFAULT false;
UPDATE items SET hidden = true FROM inspections r
    WHERE r.id = items.record_id AND r.kind IS NOT DISTINCT FROM 'inspection'
      AND r.status IS DISTINCT FROM 'finalized';
CREATE INDEX items_due_order ON items (due_key, inspection, number, id);

CREATE TABLE inspection_counts (
    unit       text COLLATE "C" NOT NULL,
    kind       text COLLATE "C",
    status     text COLLATE "C",
    has_items  boolean NOT NULL,
    finalized  boolean NOT NULL,
    n          bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (unit, kind, status, has_items, finalized)
);
INSERT INTO inspection_counts (unit, kind, status, has_items, finalized, n)
    SELECT unit, kind, status, items_total > 0, finalized_at IS NOT NULL, count(*)
    FROM inspections GROUP BY 1, 2, 3, 4, 5;

CREATE TABLE item_counts (
    unit     text COLLATE "C" NOT NULL,
    status   text COLLATE "C",
    hidden   boolean NOT NULL,
    due_key  text COLLATE "C" NOT NULL,
    n        bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (unit, status, hidden, due_key)
);
INSERT INTO item_counts (unit, status, hidden, due_key, n)
    SELECT unit, status, hidden, due_key, count(*) FROM items GROUP BY 1, 2, 3, 4;

CREATE TABLE record_counts (
    name  text PRIMARY KEY,          -- 'units', 'users'
    n     bigint NOT NULL
);
INSERT INTO record_counts (name, n) VALUES
    ('units', (SELECT count(*) FROM units)), ('users', (SELECT count(*) FROM users));

CREATE FUNCTION inspect_count_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_counts AS c (name, n)
    VALUES (TG_TABLE_NAME, CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END)
    ON CONFLICT (name) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END;
$$;
CREATE TRIGGER units_counted AFTER INSERT OR DELETE ON units
    FOR EACH ROW EXECUTE FUNCTION inspect_count_records();
CREATE TRIGGER users_counted AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION inspect_count_records();
