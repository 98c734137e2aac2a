-- Schema 3: the mark of a `store copy` under way (one row while it runs or after it
-- stopped half-way; removed when the copy is verified), so that a copy interrupted by a
-- crash is resumed instead of refused as "not empty".

CREATE TABLE inspect_copy (
    source      text PRIMARY KEY,        -- the data folder copied from
    started_at  text NOT NULL
);
