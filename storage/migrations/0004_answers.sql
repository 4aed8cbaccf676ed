-- Departments' answers. An answer is published to every resident whose opinion it answers
-- (merged ones too), or first reviewed by the Front / the chair where the commune wants that.
CREATE TABLE answers (
    id            INTEGER PRIMARY KEY,
    opinion_id    INTEGER NOT NULL REFERENCES opinions(id),
    department    TEXT,
    officer       TEXT NOT NULL,
    mode          TEXT NOT NULL,      -- meeting | written | in_progress | forwarded
    text          TEXT NOT NULL,
    expected_on   TEXT,               -- in_progress / forwarded: by when
    forwarded_to  TEXT,               -- forwarded: the higher body
    status        TEXT NOT NULL,      -- pending_review | published | returned
    created_at    TEXT NOT NULL,
    published_at  TEXT
);
CREATE INDEX answers_opinion ON answers (opinion_id, id);

CREATE TABLE satisfaction (
    id           INTEGER PRIMARY KEY,
    opinion_id   INTEGER NOT NULL REFERENCES opinions(id),
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    satisfied    INTEGER NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL
);

-- Days off beyond weekends and national holidays (commune_code 0: every commune).
CREATE TABLE days_off (
    commune_code  INTEGER NOT NULL,
    day           TEXT NOT NULL,
    name          TEXT NOT NULL,
    PRIMARY KEY (commune_code, day)
);

-- Each deadline notice (reminder, overdue, escalation) goes out once per opinion.
CREATE TABLE deadline_notices (
    opinion_id  INTEGER NOT NULL REFERENCES opinions(id),
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (opinion_id, kind)
);

ALTER TABLE communes ADD COLUMN answer_days INTEGER NOT NULL DEFAULT 15;
ALTER TABLE communes ADD COLUMN answer_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opinions ADD COLUMN due_on TEXT;
CREATE INDEX opinions_due ON opinions (state, due_on);
