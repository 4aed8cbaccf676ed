"""The conversation: the engine that routes each message, and the journeys it routes to."""

from bot.conversation.engine import Conversation
from bot.conversation.turn import Turn

__all__ = ["Conversation", "Turn"]
