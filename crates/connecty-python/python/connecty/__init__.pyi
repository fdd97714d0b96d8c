"""Type stubs of connecty (the native half is connecty._connecty)."""

import datetime
import decimal
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

import pyarrow

from ._errors import (
    AnswerTooLarge as AnswerTooLarge,
    AuthError as AuthError,
    ConnectyError as ConnectyError,
    DeadlineExceeded as DeadlineExceeded,
    ForbiddenError as ForbiddenError,
    InvalidInput as InvalidInput,
    NotFoundError as NotFoundError,
    QuestionFailed as QuestionFailed,
    TransportError as TransportError,
)

__version__: str

Value = Union[None, bool, int, float, decimal.Decimal, str, datetime.date, datetime.datetime, List[Any], Dict[str, Any]]

class Completeness:
    """Whether the dataframe holds every row of the answer."""

    @property
    def complete(self) -> bool: ...
    @property
    def rows(self) -> int: ...
    @property
    def at_least(self) -> Optional[int]: ...
    @property
    def at_most(self) -> Optional[int]: ...

class Answer:
    """A question's answer: state, summary, SQL, statistics and dataframe."""

    @property
    def question_id(self) -> Optional[str]: ...
    @property
    def state(self) -> str: ...
    @property
    def summary(self) -> Optional[str]: ...
    @property
    def sql(self) -> Optional[str]: ...
    @property
    def statistics(self) -> Optional[Dict[str, Any]]: ...
    @property
    def completeness(self) -> Optional[Completeness]: ...
    @property
    def columns(self) -> List[str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_arrow(self) -> pyarrow.Table: ...
    def to_pandas(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def rows(self) -> List[Tuple[Value, ...]]: ...
    def write_parquet(self, path: Union[str, os.PathLike[str]]) -> None: ...
    def write_csv(self, path: Union[str, os.PathLike[str]]) -> None: ...

class Client:
    """A ConnectyAI client (blocking; share it between threads)."""

    def __init__(
        self,
        profile: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        timeout: Optional[float] = None,
        ca_cert: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> None: ...
    def health(self) -> None: ...
    def ask(
        self,
        dw: int,
        question: str,
        *,
        max_rows: Optional[int] = None,
        all_rows: bool = False,
        include: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[str], object]] = None,
    ) -> Answer: ...
    def submit(self, dw: int, question: str) -> str: ...
    def results(
        self,
        dw: int,
        question_id: str,
        *,
        wait: bool = True,
        max_rows: Optional[int] = None,
        all_rows: bool = False,
        include: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[str], object]] = None,
    ) -> Answer: ...
    @property
    def token_exchanges(self) -> int: ...

class AsyncClient:
    """A ConnectyAI client for asyncio (concurrent calls share one token).

    A cancelled ``ask`` or ``results`` raises ``asyncio.CancelledError``
    with ``.question_id`` (``None`` if cancelled before the question was
    asked); the question goes on server-side and ``results`` resumes it."""

    def __init__(
        self,
        profile: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        timeout: Optional[float] = None,
        ca_cert: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> None: ...
    def health(self) -> Awaitable[None]: ...
    def ask(
        self,
        dw: int,
        question: str,
        *,
        max_rows: Optional[int] = None,
        all_rows: bool = False,
        include: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[str], object]] = None,
    ) -> Awaitable[Answer]: ...
    def submit(self, dw: int, question: str) -> Awaitable[str]: ...
    def results(
        self,
        dw: int,
        question_id: str,
        *,
        wait: bool = True,
        max_rows: Optional[int] = None,
        all_rows: bool = False,
        include: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[str], object]] = None,
    ) -> Awaitable[Answer]: ...
    @property
    def token_exchanges(self) -> int: ...

class Emulator:
    """A local ConnectyAI on 127.0.0.1 (connecty-emulator); a context manager."""

    def __init__(
        self,
        *,
        port: int = 0,
        database: Optional[Union[str, os.PathLike[str]]] = None,
        token_ttl: Optional[float] = None,
        quick: bool = False,
        large_table_rows: int = 0,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def workspace_id(self) -> int: ...
    @property
    def token_requests(self) -> int: ...
    @property
    def questions_asked(self) -> int: ...
    def client(self, **kwargs: Any) -> Client: ...
    def async_client(self, **kwargs: Any) -> AsyncClient: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Emulator": ...
    def __exit__(self, *args: object) -> bool: ...
