-- Schema 11: a commune keeps its plan while an inspection finalized before is reopened for a
-- correction (domain/access.items_hidden_from_unit): an item is hidden from unit users only
-- while its record is an inspection not finalized and never finalized. Rows written before
-- that rule (schema 9's UPDATE, and the store until then) hid the items of a reopened
-- inspection; this step recomputes them by today's rule, as the store writes them:
--   1. a record's summary says ``finalized_once`` when its history holds a "finalized"
--      event (appended last, where the store writes it: the json keeps its text as
--      written; a summary without the key is one never finalized),
--   2. items.hidden from the record's summary,
--   3. item_counts counted again from the item rows.

UPDATE inspections
   SET summary = (left(rtrim(summary::text), -1) || ',"finalized_once":true}')::json
 WHERE json_typeof(summary) = 'object'
   AND summary->>'finalized_once' IS NULL
   AND json_typeof(doc->'history') = 'array'
   AND EXISTS (SELECT 1 FROM json_array_elements(doc->'history') AS e
               WHERE json_typeof(e) = 'object' AND e->>'action' = 'finalized');

UPDATE items SET hidden = h.hidden
  FROM (SELECT id,
               coalesce(summary->>'kind' = 'inspection', false)
               AND (summary->>'status') IS DISTINCT FROM 'finalized'
               AND coalesce(summary->>'finalized_once', 'false') <> 'true' AS hidden
          FROM inspections) AS h
 WHERE h.id = items.record_id AND items.hidden IS DISTINCT FROM h.hidden;

DELETE FROM item_counts;
INSERT INTO item_counts (unit, status, hidden, due_key, n)
    SELECT unit, status, hidden, due_key, count(*) FROM items GROUP BY 1, 2, 3, 4;
