"""connecty: ask a ConnectyAI data workspace a question, get the answer as
Arrow, pandas, polars or Python values.

    >>> import connecty
    >>> with connecty.Emulator() as emu:    # a local ConnectyAI, no account
    ...     emu.client().ask(13, "list the top 5 countries with the most orders")

    >>> client = connecty.Client()          # the `connecty` command's profile
    >>> answer = client.ask(13, "list the top 5 countries with the most orders")
    >>> answer.to_pandas()

A Rust core (the connecty SDK) with a thin Python layer: calls release the
GIL while they wait, and answers reach pyarrow, polars and DuckDB through
the Arrow PyCapsule interface without a copy.
"""

from ._connecty import Answer, Client, Completeness, Emulator, __version__
from ._async import AsyncClient
from . import _errors
from ._errors import *  # noqa: F401,F403 (the exception classes, listed in _errors.__all__)

__all__ = [
    "Answer",
    "AsyncClient",
    "Client",
    "Completeness",
    "Emulator",
    *_errors.__all__,
    "__version__",
]
