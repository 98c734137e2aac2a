-- Schema 4: the one settings document (the names that differ by province: inspecting
-- body, its superior body, the one-stop centre, the public address), in the stored form
-- of the TinyDB store's store/settings.json ({"schema": N, "settings": {...}}).

CREATE TABLE settings (
    id   integer PRIMARY KEY CHECK (id = 1),
    doc  jsonb NOT NULL
);
