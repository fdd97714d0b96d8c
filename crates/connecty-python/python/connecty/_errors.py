"""The exceptions connecty raises. ``ConnectyError`` is the base of all."""

from __future__ import annotations

from typing import Optional


class ConnectyError(Exception):
    """Something went wrong talking to the ConnectyAI API.

    ``str(error)`` is the message as the ``connecty`` command prints it,
    followed by a ``hint:`` line when there is something to do about it.
    ``.message`` and ``.hint`` hold the two parts.
    """

    message: str
    hint: Optional[str]

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message if hint is None else f"{message}\n{hint}")
        self.message = message
        self.hint = hint


class AuthError(ConnectyError):
    """The client id and secret are missing, malformed or refused."""


class ForbiddenError(ConnectyError):
    """The credentials are valid but may not use this workspace or question."""


class NotFoundError(ConnectyError):
    """The workspace or the question does not exist (HTTP 404)."""


class AnswerTooLarge(ConnectyError):
    """Every row was asked for (``all_rows=True``), but they do not fit the body limit."""


class QuestionFailed(ConnectyError):
    """The question ended in state ``FAILED``.

    ``.reason`` is the server's reason when it gave one; ``.question_id``
    the question.
    """

    reason: Optional[str]
    question_id: str

    def __init__(self, message: str, hint: Optional[str], question_id: str, reason: Optional[str]) -> None:
        super().__init__(message, hint)
        self.question_id = question_id
        self.reason = reason


class DeadlineExceeded(ConnectyError):
    """The overall deadline (``timeout=``) passed before the answer came.

    ``.question_id`` is the question's id when it was asked: it goes on
    server-side, and ``client.results(dw, question_id)`` resumes the wait.
    It is ``None`` when the question was never (or not surely) asked.
    """

    question_id: Optional[str]

    def __init__(self, message: str, hint: Optional[str], question_id: Optional[str]) -> None:
        super().__init__(message, hint)
        self.question_id = question_id


class TransportError(ConnectyError):
    """The request could not be carried: connect, TLS, I/O, a timeout, the body limit."""


class InvalidInput(ConnectyError, ValueError):
    """An argument or a setting was refused before anything was sent.

    It is also a ``ValueError``. ``.argument`` names the argument (or the
    setting) at fault.
    """

    argument: Optional[str]

    def __init__(self, message: str, hint: Optional[str] = None, argument: Optional[str] = None) -> None:
        super().__init__(message, hint)
        self.argument = argument


__all__ = [
    "ConnectyError",
    "AuthError",
    "ForbiddenError",
    "NotFoundError",
    "AnswerTooLarge",
    "QuestionFailed",
    "DeadlineExceeded",
    "TransportError",
    "InvalidInput",
]
