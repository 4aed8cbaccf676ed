"""Đối thoại: the channel-agnostic core (domain model, services, conversation, outbox)."""

__version__ = "0.1.0"
