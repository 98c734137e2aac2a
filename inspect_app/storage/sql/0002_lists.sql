-- Schema 2: the indexes of the list pages and queries (by unit, period, checklist, kind,
-- status, team member; items by deadline and by done date).

CREATE INDEX inspections_unit_created ON inspections (unit, created_at DESC, id DESC);
CREATE INDEX inspections_created ON inspections (created_at DESC, id DESC);
CREATE INDEX inspections_finalized ON inspections (finalized_at DESC, id DESC)
    WHERE finalized_at IS NOT NULL;
CREATE INDEX inspections_period ON inspections (period, created_at DESC);
CREATE INDEX inspections_checklist ON inspections (checklist_id, created_at DESC);
CREATE INDEX inspections_kind_status ON inspections (kind, status, created_at DESC);
CREATE INDEX inspections_status ON inspections (status, created_at DESC);
CREATE INDEX inspections_team ON inspections USING gin (team);
CREATE INDEX items_due ON items (status, due_key, inspection, number);
CREATE INDEX items_unit_due ON items (unit, status, due_key);
CREATE INDEX items_done ON items (status, done_key, id);
CREATE INDEX user_tokens_username ON user_tokens (username);
CREATE INDEX login_failures_last ON login_failures (last_at);
