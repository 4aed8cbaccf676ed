-- Where each commune receives complaints and denunciations (tiếp công dân), told to residents
-- whose message is diverted; empty means the default wording.
ALTER TABLE communes ADD COLUMN reception TEXT NOT NULL DEFAULT '';

-- Officers' corrections of the automatic tags: folded into the model by `retrain`.
CREATE TABLE nlp_feedback (
    id          INTEGER PRIMARY KEY,
    opinion_id  INTEGER REFERENCES opinions(id),
    text        TEXT NOT NULL,
    topic       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    officer     TEXT NOT NULL,
    at          TEXT NOT NULL
);
