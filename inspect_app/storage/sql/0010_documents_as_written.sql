-- Schema 10: documents read back as they were written. A jsonb value keeps an object's
-- keys in its own order (shorter keys first, then by bytes), not in the order written, and
-- the app's documents say things by that order, as the embedded stores keep it: the photos
-- of a criterion in the order taken (several in one second from the offline queue), the
-- fields an audit entry names in the order of the change, the mappings of a checklist.
-- json keeps the text as written. No query of the app looks inside these columns but
-- units' ``doc->>'merged_into'``, which json answers too. (export_jobs.doc stays jsonb: the
-- job store changes it in place with ``||``, and nothing reads its order.) Documents
-- written before this schema keep jsonb's order until they are written again.

ALTER TABLE units ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE users ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE checklist_snapshots ALTER COLUMN data TYPE json USING data::json;
ALTER TABLE inspections ALTER COLUMN summary TYPE json USING summary::json;
ALTER TABLE inspections ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE items ALTER COLUMN card TYPE json USING card::json;
ALTER TABLE settings ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE user_state ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE audit ALTER COLUMN doc TYPE json USING doc::json;
