"""The project's exceptions: one small hierarchy so callers can catch what they can handle."""


class DoiThoaiError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(DoiThoaiError):
    """The configuration is missing or invalid; the message lists every problem."""


class DomainError(DoiThoaiError):
    """A business rule was broken."""


class InvalidTransition(DomainError):
    """An opinion was asked to move to a state its state machine does not allow."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"illegal opinion transition {current} -> {target}")
        self.current = current
        self.target = target


class ValidationError(DomainError):
    """User input does not satisfy a rule; `user_message` is the Vietnamese text to show."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know that it exists."""


class CutoffPassed(DomainError):
    """The session's opinion cut-off has passed: the opinion can no longer be changed."""


class StorageError(DoiThoaiError):
    """The database could not do what was asked (schema, migration, connection)."""


class DuplicateKey(StorageError):
    """A unique value (e.g. a reference code) is already taken; the caller may pick another."""


class SendError(DoiThoaiError):
    """An outgoing message could not be delivered."""


class TransientSendError(SendError):
    """Delivery may succeed later; `retry_after` is the wait the far side asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Delivery will never succeed (the user blocked the bot, the chat is gone, bad request).

    `unreachable` says the person cannot be reached at all on that channel any more (blocked
    the bot, deleted the account): they are left out of broadcasts until they write again."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
