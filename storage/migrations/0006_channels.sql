-- One resident, several channels (Telegram and Zalo), linked by a one-time code.

-- Whether this account receives the session announcements (the resident chooses; when no
-- chosen account is reachable, the most recent reachable one is used).
ALTER TABLE identities ADD COLUMN announce INTEGER NOT NULL DEFAULT 1;

-- A resident whose record was folded into another when they linked their two accounts.
ALTER TABLE residents ADD COLUMN merged_into INTEGER REFERENCES residents(id);
CREATE INDEX residents_phone ON residents (phone) WHERE erased_at IS NULL;

-- Codes sent to a resident's existing account, typed on the new one to prove it is them.
CREATE TABLE link_codes (
    id            INTEGER PRIMARY KEY,
    resident_id   INTEGER NOT NULL REFERENCES residents(id),
    channel       TEXT NOT NULL,       -- the account asking to be linked
    user_key      TEXT NOT NULL,
    code_hash     TEXT NOT NULL,
    tries         INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);
CREATE INDEX link_codes_asker ON link_codes (channel, user_key, id);
CREATE INDEX link_codes_resident ON link_codes (resident_id, created_at);
