-- Session life cycle, scheduled jobs that fire once, broadcasts and speaking registration.
ALTER TABLE sessions ADD COLUMN lead_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'planned';
ALTER TABLE sessions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN conclusion TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN concluded_at TEXT;
CREATE INDEX sessions_state ON sessions (state);

-- Who changed what in a session (creation, edits, postponements, state changes).
CREATE TABLE session_events (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    actor       TEXT NOT NULL,
    what        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX session_events_session ON session_events (session_id, id);

-- Every scheduled job that fired (or was skipped as too late), once: the unique key is what
-- keeps a restart, a clock jump or a second bot process from firing it again. `edition` is
-- the time the job is about (a moved cut-off gets its own reminder) or '' for once-only jobs.
CREATE TABLE session_jobs (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions(id),
    kind          TEXT NOT NULL,
    edition       TEXT NOT NULL DEFAULT '',
    due_at        TEXT NOT NULL,
    fired_at      TEXT NOT NULL,
    outcome       TEXT NOT NULL,      -- done | skipped
    broadcast_id  INTEGER,
    UNIQUE (session_id, kind, edition)
);

-- One message to every registered resident of a commune; one outbox row per recipient.
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    commune_code  INTEGER NOT NULL REFERENCES communes(code),
    session_id    INTEGER REFERENCES sessions(id),
    kind          TEXT NOT NULL,      -- announce | change | cutoff_reminder | session_reminder | conclusion
    recipients    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX broadcasts_commune ON broadcasts (commune_code, id);
ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts(id);
CREATE UNIQUE INDEX outbox_broadcast_recipient ON outbox (broadcast_id, channel, chat_id)
    WHERE broadcast_id IS NOT NULL;

-- A person who blocked the bot is left out of broadcasts until they write again.
ALTER TABLE identities ADD COLUMN inactive_at TEXT;

-- Speaking registration (đăng ký phát biểu): one turn per resident per session, in order.
CREATE TABLE speakers (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions(id),
    resident_id    INTEGER NOT NULL REFERENCES residents(id),
    opinion_id     INTEGER NOT NULL REFERENCES opinions(id),
    registered_at  TEXT NOT NULL,
    UNIQUE (session_id, resident_id)
);
