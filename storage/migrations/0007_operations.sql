-- Running in production: quarantined updates, worker identities, health of each component.

-- An update the channel's library could not parse (version skew, a malformed body): kept
-- with the reason, marked handled so intake goes on, listed by `doithoai admin quarantine`.
ALTER TABLE inbox ADD COLUMN quarantined TEXT;
CREATE INDEX inbox_quarantined ON inbox (id) WHERE quarantined IS NOT NULL;

-- Each bot process is a worker with a heartbeat; a message's send lease names its owner, so
-- the leases of a worker known to be dead are released at once instead of waited out.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
CREATE INDEX outbox_owner ON outbox (lease_owner) WHERE status = 'sending';
CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    proc_start    TEXT NOT NULL,        -- the process's start tick: a reused pid is another
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL,
    stopped_at    TEXT
);

-- The last success and the last error of each long-running component (per worker).
CREATE TABLE health (
    component     TEXT NOT NULL,        -- 'telegram:intake', 'zalo:intake', 'outbox', 'scheduler'
    worker        TEXT NOT NULL,
    ok_at         TEXT,
    error_at      TEXT,
    error         TEXT,
    PRIMARY KEY (component, worker)
);

-- Opinions a resident sent in a burst are carded together once the burst is over.
ALTER TABLE opinions ADD COLUMN card_burst INTEGER;
CREATE INDEX opinions_card_burst ON opinions (card_burst) WHERE card_burst IS NOT NULL;
CREATE TABLE card_bursts (
    id            INTEGER PRIMARY KEY,
    resident_id   INTEGER NOT NULL REFERENCES residents(id),
    commune_code  INTEGER NOT NULL,
    first_at      TEXT NOT NULL,
    last_at       TEXT NOT NULL,
    carded_at     TEXT
);
CREATE INDEX card_bursts_open ON card_bursts (last_at) WHERE carded_at IS NULL;

-- A department's answer may carry attachments (a scanned official letter, a photo).
ALTER TABLE answers ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

-- How consent to the storage of personal data was given: the button, or typed ("đồng ý").
ALTER TABLE residents ADD COLUMN consent_how TEXT NOT NULL DEFAULT 'button';
