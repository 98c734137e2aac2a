-- Schema 6: the audit log of administrators' actions (append only), in the stored form
-- of the TinyDB store's store/audit/<YYYY-MM>.jsonl lines ({"schema": N, "id": ..., "at":
-- ..., "by": ..., "action": ..., "target": ..., "before": {...}, "after": {...}}). An
-- entry is written in the transaction of the change it records. ``seq`` orders entries
-- as they were written (newest first on the audit page).

CREATE TABLE audit (
    seq     bigserial PRIMARY KEY,
    id      text NOT NULL UNIQUE,
    at      text NOT NULL,
    by_user text NOT NULL,
    action  text NOT NULL,
    doc     jsonb NOT NULL
);
CREATE INDEX audit_by_user ON audit (by_user, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE INDEX audit_at ON audit (at, seq);
