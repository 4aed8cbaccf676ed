-- Every card of an opinion sent to an officer's chat or the Front's group, with what it
-- shows now: when the opinion changes, the newest card in each chat is edited in place and
-- older ones lose their buttons (bot/cards.py, bot/delivery.py).
CREATE TABLE card_copies (
    outbox_id   INTEGER PRIMARY KEY REFERENCES outbox (id),
    opinion_id  INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    retired     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX card_copies_opinion ON card_copies (opinion_id, channel, chat_id);
