"""``connecty.AsyncClient``: the native client's coroutines, with the
question's id on the ``asyncio.CancelledError`` of a cancelled call.

A cancelled task gets the ``CancelledError`` that asyncio makes, not one
the Rust half raises; so ``ask`` and ``results`` are ``async def`` here:
they await the native call and, when it is cancelled, put the id that the
call recorded as soon as the question was asked (a ``_QuestionSlot``) on
the error before it goes on. The question itself goes on server-side;
``results(dw, e.question_id)`` resumes it."""

from __future__ import annotations

import asyncio
from typing import Any

from ._connecty import AsyncClient as _Native
from ._connecty import _QuestionSlot


class AsyncClient(_Native):
    __doc__ = _Native.__doc__
    __module__ = "connecty"

    async def ask(self, dw: Any, question: Any, **kwargs: Any) -> Any:
        slot = _QuestionSlot()
        call = _Native.ask(self, dw, question, _slot=slot, **kwargs)
        try:
            return await call
        except asyncio.CancelledError as e:
            e.question_id = slot.question_id
            raise

    async def results(self, dw: Any, question_id: Any, **kwargs: Any) -> Any:
        call = _Native.results(self, dw, question_id, **kwargs)
        try:
            return await call
        except asyncio.CancelledError as e:
            e.question_id = question_id
            raise

    ask.__doc__ = _Native.ask.__doc__
    results.__doc__ = _Native.results.__doc__
