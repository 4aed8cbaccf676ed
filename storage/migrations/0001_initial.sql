-- Communes and villages this deployment serves (codes from the official list).
CREATE TABLE communes (
    code        INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    province    TEXT NOT NULL,
    added_at    TEXT NOT NULL
);
CREATE TABLE villages (
    id            INTEGER PRIMARY KEY,
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    name          TEXT NOT NULL,
    UNIQUE (commune_code, name)
);

CREATE TABLE residents (
    id            INTEGER PRIMARY KEY,
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    village_id    INTEGER REFERENCES villages(id),
    village_name  TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    phone         TEXT,
    organisation  TEXT NOT NULL,
    consent_at    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    erased_at     TEXT
);
CREATE INDEX residents_commune ON residents (commune_code) WHERE erased_at IS NULL;

-- One row per (channel, account): Telegram today, Zalo and the console too.
CREATE TABLE identities (
    channel      TEXT NOT NULL,
    user_key     TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (channel, user_key)
);
CREATE INDEX identities_resident ON identities (resident_id);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    title         TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    place         TEXT NOT NULL,
    chair         TEXT NOT NULL,
    cutoff_at     TEXT NOT NULL,
    fields        TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX sessions_commune_cutoff ON sessions (commune_code, cutoff_at);

CREATE TABLE opinions (
    id            INTEGER PRIMARY KEY,
    ref_code      TEXT NOT NULL UNIQUE,
    resident_id   INTEGER NOT NULL REFERENCES residents(id),
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    session_id    INTEGER REFERENCES sessions(id),
    text          TEXT NOT NULL,
    photo_ref     TEXT,
    channel       TEXT NOT NULL,
    source_event  TEXT UNIQUE,          -- the inbound event that created it: one opinion each
    state         TEXT NOT NULL,
    topic         TEXT,
    kind          TEXT,
    confidence    REAL,
    reasons       TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX opinions_resident ON opinions (resident_id, id);
CREATE INDEX opinions_session_state ON opinions (session_id, state);

-- Append-only history of every state change (who, when, from -> to, why).
CREATE TABLE opinion_events (
    id          INTEGER PRIMARY KEY,
    opinion_id  INTEGER NOT NULL REFERENCES opinions(id),
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX opinion_events_opinion ON opinion_events (opinion_id, id);
CREATE TRIGGER opinion_events_no_update BEFORE UPDATE ON opinion_events
BEGIN SELECT RAISE(ABORT, 'opinion_events is append-only'); END;
CREATE TRIGGER opinion_events_no_delete BEFORE DELETE ON opinion_events
BEGIN SELECT RAISE(ABORT, 'opinion_events is append-only'); END;

-- Earlier texts of edited opinions: an edit never loses what was said before.
CREATE TABLE opinion_revisions (
    id          INTEGER PRIMARY KEY,
    opinion_id  INTEGER NOT NULL REFERENCES opinions(id),
    old_text    TEXT NOT NULL,
    at          TEXT NOT NULL
);

-- Where each person is in the conversation: survives restarts, shared by all processes.
CREATE TABLE conversations (
    channel     TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, user_key)
);

-- Every incoming update, stored before it is acknowledged to the channel.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    event_key    TEXT NOT NULL,
    user_key     TEXT,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    handled_at   TEXT,
    UNIQUE (channel, event_key)
);
CREATE INDEX inbox_pending ON inbox (channel, id) WHERE handled_at IS NULL;
CREATE INDEX inbox_user ON inbox (channel, user_key);

-- Every outgoing message: pending -> sending (leased) -> sent | failed | cancelled.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    TEXT NOT NULL,
    lease_until   TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    remote_id     TEXT,
    last_error    TEXT,
    source_event  TEXT
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_chat ON outbox (channel, chat_id);
