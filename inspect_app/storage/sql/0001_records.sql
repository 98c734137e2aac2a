-- Schema 1 of the PostgreSQL store: the records. Every text that lists sort or compare is
-- COLLATE "C" (code point order, as Python compares strings), whatever the database's locale.
-- Documents are JSONB in the stored form of storage/records.py (with their "schema").

CREATE TABLE units (
    code        text COLLATE "C" PRIMARY KEY,
    sort_name   text COLLATE "C" NOT NULL,   -- domain.text.fold(name)
    exact_name  text COLLATE "C" NOT NULL,   -- domain.text.nfc(name): ties
    search      text NOT NULL,               -- fold(code + " " + name)
    doc         jsonb NOT NULL
);

CREATE TABLE users (
    username    text COLLATE "C" PRIMARY KEY,
    role_rank   integer NOT NULL,            -- index of the role in domain.models.ROLES
    search      text NOT NULL,               -- fold(username + " " + full_name)
    doc         jsonb NOT NULL
);

CREATE TABLE user_tokens (
    hash        text COLLATE "C" NOT NULL,
    username    text COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    PRIMARY KEY (hash, username)
);

CREATE TABLE login_failures (
    key         text COLLATE "C" PRIMARY KEY,
    times       double precision[] NOT NULL,
    last_at     double precision NOT NULL
);

-- Checklist content by its hash: written once, never changed, shared by its records.
CREATE TABLE checklist_snapshots (
    digest      text COLLATE "C" PRIMARY KEY,
    data        jsonb NOT NULL
);

CREATE TABLE inspections (
    id            text COLLATE "C" PRIMARY KEY,
    unit          text COLLATE "C" NOT NULL,
    period        text COLLATE "C",
    checklist_id  text COLLATE "C",
    kind          text COLLATE "C",
    status        text COLLATE "C",
    created_at    text COLLATE "C" NOT NULL,
    finalized_at  text COLLATE "C",           -- NULL when never finalized
    team          text[] NOT NULL,
    items_total   integer NOT NULL,
    rev           integer NOT NULL,
    summary       jsonb NOT NULL,             -- the InspectionSummary (index entry)
    doc           jsonb NOT NULL              -- the record, checklist content by reference
);

-- The cards of remediation items (from the summary), one row each, for the item lists.
CREATE TABLE items (
    record_id   text COLLATE "C" NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    unit        text COLLATE "C" NOT NULL,
    status      text COLLATE "C",
    due_key     text COLLATE "C" NOT NULL,    -- the deadline, or 9999-12-31 without one
    inspection  text COLLATE "C" NOT NULL,
    number      integer NOT NULL,
    done_key    text COLLATE "C" NOT NULL,    -- done_at, or '' when not done
    card        jsonb NOT NULL,
    PRIMARY KEY (record_id, id)
);

CREATE TABLE photos (
    id          text COLLATE "C" NOT NULL,
    variant     text COLLATE "C" NOT NULL,
    digest      text COLLATE "C" NOT NULL,    -- sha256 of data: names the local cache file
    data        bytea NOT NULL,
    PRIMARY KEY (id, variant)
);
