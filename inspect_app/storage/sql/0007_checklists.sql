-- Schema 7: the checklists published in the app (DESIGN §12; INSPECT_CHECKLISTS_DIR is
-- only the seed), so that every server on the database sees the same ones: each version's
-- text as published (what the TinyDB store keeps in DATA_DIR/checklists/<id>/vNNNN.yaml),
-- the ids retired from new records, the checked uploads waiting to be published, and a
-- stamp raised on every publish and retire (read once per use of the checklist library:
-- one row by its key, so a server's cache follows another server's publish at once).

CREATE TABLE checklist_versions (
    checklist_id  text NOT NULL,
    number        integer NOT NULL CHECK (number > 0),
    text          text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (checklist_id, number)
);

CREATE TABLE checklist_retired (
    checklist_id  text PRIMARY KEY
);

CREATE TABLE checklist_drafts (
    token       text PRIMARY KEY,
    text        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checklist_stamp (
    id     integer PRIMARY KEY CHECK (id = 1),
    stamp  bigint NOT NULL
);
INSERT INTO checklist_stamp (id, stamp) VALUES (1, 0);
