"""Registry errors. Messages are translatable and matched by tests."""

from __future__ import annotations

from core.exceptions import ApplicationError


class ApplicationIncomplete(ApplicationError):
    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class RequirementsNotMet(ApplicationError):
    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems
