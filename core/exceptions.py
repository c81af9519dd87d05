"""Domain exceptions. Services raise them; interfaces turn them into messages or form errors."""


class ApplicationError(Exception):
    """A business rule refused the action. The message is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(ApplicationError):
    """The requested status change is not in the lifecycle's transition table."""


class UploadRejected(ApplicationError):
    """An uploaded file is too large, empty, or not of an accepted type."""
