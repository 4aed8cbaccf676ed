-- Who may do what: admin (per deployment), front / department / office (per commune).
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    user_key      TEXT NOT NULL,
    role          TEXT NOT NULL,
    commune_code  INTEGER REFERENCES communes(code),
    department    TEXT,
    name          TEXT NOT NULL DEFAULT '',
    added_by      TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    UNIQUE (channel, user_key, role, commune_code, department)
);
CREATE INDEX staff_person ON staff (channel, user_key);

-- One-time codes an officer sends to the bot (/join CODE) to receive a role.
CREATE TABLE invitations (
    code          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    commune_code  INTEGER REFERENCES communes(code),
    department    TEXT,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_by       TEXT,
    used_at       TEXT
);

-- Departments of a commune and which one answers each field.
CREATE TABLE departments (
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    PRIMARY KEY (commune_code, code)
);
CREATE TABLE field_departments (
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    topic         TEXT NOT NULL,
    department    TEXT NOT NULL,
    PRIMARY KEY (commune_code, topic)
);

-- Where the commune's Front officers work: a group chat ("telegram:-100...") or, if empty,
-- each officer's private chat.
ALTER TABLE communes ADD COLUMN front_chat TEXT NOT NULL DEFAULT '';

-- Officers' actions are checked against the version of the card they pressed.
ALTER TABLE opinions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opinions ADD COLUMN department TEXT;
ALTER TABLE opinions ADD COLUMN merged_into INTEGER REFERENCES opinions(id);
CREATE INDEX opinions_commune_state ON opinions (commune_code, state, id);

-- What an officer's action changed besides the state ({"topic": [old, new], ...}): for undo.
ALTER TABLE opinion_events ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
