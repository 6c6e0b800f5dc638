"""Where real benchmark data is found: the ``NASPERF_DATA`` directory, or a path the user names."""

from __future__ import annotations

import os
from pathlib import Path

from .exceptions import DataNotFoundError

__all__ = ["DATA_ENV", "data_dir", "find_data_file"]

#: environment variable naming the directory that holds the published benchmark data
DATA_ENV = "NASPERF_DATA"


def data_dir() -> Path | None:
    """Return the data directory named by ``NASPERF_DATA``, or None when it is unset."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def find_data_file(relative: str, source: str) -> Path:
    """Return ``$NASPERF_DATA/relative``, or raise an error naming the file and its source.

    ``source`` says where the file comes from, so the message tells the user how to get it.
    """
    root = data_dir()
    if root is None:
        raise DataNotFoundError(
            f"data file {relative!r} not found: the {DATA_ENV} variable is not set; point it at "
            f"the directory holding {relative} ({source})"
        )
    path = root / relative
    if not path.is_file():
        raise DataNotFoundError(
            f"data file {path} not found ({DATA_ENV}={root}); it comes from {source}"
        )
    return path
