"""Persistence: the repository interface the core uses, and its SQLite implementation."""

from storage.repository import ConversationState, InboxEvent, OutboxMessage, Store, Tx
from storage.sqlite import SqliteStore

__all__ = ["ConversationState", "InboxEvent", "OutboxMessage", "SqliteStore", "Store", "Tx"]
