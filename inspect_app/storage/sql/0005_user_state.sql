-- Schema 5: one small document per user (reminders: the digest entries read, the days
-- an e-mail was sent), in the stored form of the TinyDB store's store/user-state/*.json
-- ({"schema": N, "username": ..., "state": {...}}). Not tied to the users table by a
-- foreign key: a renamed or removed user leaves at most one small row behind.

CREATE TABLE user_state (
    username  text PRIMARY KEY,
    doc       jsonb NOT NULL
);
