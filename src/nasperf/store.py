"""Files that a kill cannot corrupt: atomic writes, resumable row files, settings checks, a lock.

Long jobs (``nasperf make-benchmark``, ``nasperf proxies``) write their results as they go and
resume after an interruption. They share these pieces:

- :func:`atomic_write` replaces a whole file through a temporary file in the same directory
  (written, fsynced, then renamed over the target): a crash leaves the old file or the new one,
  never half of one.
- :func:`check_settings` compares the settings a file was made with against the wanted ones
  (nested settings flattened to ``train.lr``) and names every key that differs.
- :func:`complete_lines` reads a line-based file up to its last newline; a last line cut short
  by a kill is cut off the file (or only ignored, while another process may be writing it).
- :class:`JsonLinesFile` and :class:`CsvRowFile` are append-only row files, one row per line,
  each row flushed and fsynced as it is appended (:meth:`RowFile.appending`).
- :func:`locked` holds an exclusive lock on a directory while a job writes into it.
- :class:`Journal` puts them together for every resumable writer: a directory with the
  settings file, a row file (and others beside it), checked on resume and locked while written.
- :func:`json_ready` is the one conversion of settings and rows to what JSON stores.
"""

from __future__ import annotations

import abc
import csv
import dataclasses
import io
import json
import logging
import math
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .exceptions import ConfigurationError, InvalidDataError

__all__ = [
    "atomic_write",
    "flatten_settings",
    "check_settings",
    "read_settings",
    "complete_lines",
    "RowFile",
    "RowAppender",
    "JsonLinesFile",
    "CsvRowFile",
    "locked",
    "LOCK_FILE",
    "json_ready",
    "json_float",
    "Journal",
    "SETTINGS_FILE",
]

log = logging.getLogger(__name__)

#: the name of the lock file :func:`locked` keeps in a directory
LOCK_FILE = ".lock"
#: the name of a journal's settings file
SETTINGS_FILE = "settings.json"

_MISSING = object()


# -- whole files ---------------------------------------------------------------------------------
def atomic_write(
    path: str | Path,
    content: str | bytes | Callable[[Path], object],
    *,
    encoding: str = "utf-8",
) -> Path:
    """Replace ``path`` by ``content`` atomically; return ``path``.

    ``content`` is text (encoded with ``encoding``), bytes, or a function that writes the file
    at the path it is given (e.g. ``lambda p: fig.savefig(p)``). It is written to a temporary
    file in the same directory, fsynced and renamed over ``path``, so a crash leaves the old file
    or the new one; the temporary file is removed if anything fails.
    """
    path = Path(path)
    if not (callable(content) or isinstance(content, (str, bytes, bytearray, memoryview))):
        raise TypeError(f"content must be text, bytes or a writer, got {type(content).__name__}")
    fd, tmp = _create_temp(path)
    try:
        if callable(content):
            os.close(fd)
            content(tmp)
            _fsync_path(tmp)
        else:
            data = content.encode(encoding) if isinstance(content, str) else bytes(content)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return path


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` (permissions as the umask allows), opened for writing."""
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - a random name taken: draw another
            continue


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
    try:
        _fsync_path(directory)
    except OSError:  # pragma: no cover - e.g. Windows cannot open a directory
        pass


# -- settings ------------------------------------------------------------------------------------
def flatten_settings(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"lr": 0.1}}`` as ``{"train.lr": 0.1}``, to name what differs."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            out.update(flatten_settings(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def check_settings(
    saved: Mapping[str, Any],
    wanted: Mapping[str, Any],
    *,
    where: str | Path,
    may_differ: Iterable[str] = (),
    names: Callable[[str], str] | None = None,
) -> None:
    """Raise :class:`ConfigurationError` unless ``saved`` and ``wanted`` settings agree.

    Both are compared as JSON would store them (tuples as lists), nested settings flattened;
    the message names every differing key (``train.lr``), those ``where`` (a file or directory)
    has but the wanted settings lack included. Keys in ``may_differ``, and the keys nested
    under them, may differ. ``names`` maps a key to what the user calls it (an option), so the
    message names each setting once.
    """
    allowed = tuple(may_differ)
    old = flatten_settings(json.loads(json.dumps(saved)))
    new = flatten_settings(json.loads(json.dumps(wanted)))
    differ = sorted(
        key
        for key in {**old, **new}
        if not any(key == a or key.startswith(a + ".") for a in allowed)
        and old.get(key, _MISSING) != new.get(key, _MISSING)
    )
    if names is not None:
        differ = sorted({names(key) for key in differ})
    if differ:
        raise ConfigurationError(
            f"{where} was made with other settings ({', '.join(differ)}); rerun with the same "
            "options to resume it, or choose another --out"
        )


def read_settings(path: str | Path) -> dict[str, Any]:
    """The JSON object in the settings file ``path``.

    A file that is not valid JSON, or not an object, is an :class:`InvalidDataError` naming
    it (one line: a settings file damaged by hand or by a disk is no traceback).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise InvalidDataError(
            f"settings file {path} is not valid JSON ({exc}); delete it (and the rows beside "
            "it) to start over, or choose another --out"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidDataError(f"settings file {path} does not hold a JSON object")
    return data


# -- line files ----------------------------------------------------------------------------------
def complete_lines(path: str | Path, *, repair: bool = True) -> bytes:
    """The content of ``path`` up to its last newline (empty if there is no file).

    A last line without its newline is a write cut short by a kill: with ``repair`` it is cut
    off the file (flushed and fsynced), so what is appended next starts on a line of its own;
    without, it is only left out of the result (a running writer may be finishing it).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b""
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        if repair:
            with path.open("r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
            log.info("dropped an unfinished last line of %s; its row is made again", path)
        else:
            log.info("ignoring an unfinished last line of %s (a run is writing it?)", path)
        data = data[:cut]
    return data


class RowAppender:
    """Appends rows to an open row file, each flushed and fsynced before :meth:`append` returns."""

    def __init__(self, fh: IO[str], encode: Callable[[Any], str]) -> None:
        self._fh = fh
        self._encode = encode

    def append(self, row: Any) -> None:
        """Write ``row`` as one line and make it durable."""
        self._fh.write(self._encode(row))
        self._fh.flush()
        os.fsync(self._fh.fileno())


class RowFile(abc.ABC):
    """A UTF-8 file of rows, one per line, only appended to (or replaced whole, atomically).

    Subclasses say how a row is written (:meth:`encode`) and read back (:meth:`decode`), and
    may have a first line (:meth:`header_text`).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.path.exists()

    def header_text(self) -> str:
        """The file's first line, written when it is created ('' for none)."""
        return ""

    @abc.abstractmethod
    def encode(self, row: Any) -> str:
        """``row`` as one line, its newline included."""

    @abc.abstractmethod
    def decode(self, text: str) -> list[Any]:
        """The rows of the complete lines ``text`` (the header included, if any)."""

    def read(self, *, repair: bool = False) -> list[Any]:
        """The rows of the file ([] if there is none); see :func:`complete_lines` for
        ``repair`` and a last line cut short."""
        return self.decode(complete_lines(self.path, repair=repair).decode("utf-8"))

    def create(self) -> None:
        """Create the file with only its header, atomically."""
        atomic_write(self.path, self.header_text())

    def rewrite(self, rows: Iterable[Any]) -> None:
        """Replace the file by ``rows`` atomically (a crash leaves the old file or the new)."""
        atomic_write(self.path, self.header_text() + "".join(self.encode(r) for r in rows))

    @contextmanager
    def appending(self) -> Iterator[RowAppender]:
        """Open the file for appending (created with its header if missing)."""
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            if fh.tell() == 0 and self.header_text():
                fh.write(self.header_text())
            yield RowAppender(fh, self.encode)


class JsonLinesFile(RowFile):
    """Rows as JSON objects, one per line (non-finite numbers are refused: write null).

    ``is_row`` checks each row read back; a row it rejects is an :class:`InvalidDataError`
    naming the line and ``what`` a row should be.
    """

    def __init__(
        self,
        path: str | Path,
        is_row: Callable[[Any], bool] | None = None,
        what: str = "a row",
    ) -> None:
        super().__init__(path)
        self.is_row = is_row
        self.what = what

    def encode(self, row: Any) -> str:
        return json.dumps(row, allow_nan=False, separators=(",", ":")) + "\n"

    def decode(self, text: str) -> list[Any]:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InvalidDataError(
                    f"{self.path}, line {number} is not valid JSON: {exc}"
                ) from exc
            if self.is_row is not None and not self.is_row(row):
                raise InvalidDataError(f"{self.path}, line {number} is not {self.what}")
            rows.append(row)
        return rows


class CsvRowFile(RowFile):
    """Rows as CSV lines under a header line; a row is a dict from column name to value.

    ``header`` is the columns, written when the file is created and checked when it is read;
    None reads any header (and cannot write).
    """

    def __init__(self, path: str | Path, header: Sequence[str] | None = None) -> None:
        super().__init__(path)
        self.header = None if header is None else list(header)

    def header_text(self) -> str:
        if self.header is None:
            raise ConfigurationError(f"{self}: a CSV row file without a header cannot be written")
        return self._line(self.header)

    def encode(self, row: Mapping[str, Any]) -> str:
        assert self.header is not None
        unknown = set(row) - set(self.header)
        if unknown:
            raise ValueError(f"{self}: the row has columns outside the header: {sorted(unknown)}")
        return self._line([row.get(column, "") for column in self.header])

    def decode(self, text: str) -> list[dict[str, str]]:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            return []
        if self.header is not None and header != self.header:
            raise InvalidDataError(
                f"{self.path} has an unexpected header {header}, expected {self.header}"
            )
        return [dict(zip(header, row, strict=False)) for row in reader if row]

    @staticmethod
    def _line(values: Sequence[Any]) -> str:
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerow(values)
        return buffer.getvalue()


# -- a lock --------------------------------------------------------------------------------------
@contextmanager
def locked(
    directory: str | Path, *, what: str = "files", name: str = LOCK_FILE
) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (its lock file ``name``) while the block runs.

    A second holder fails at once with a :class:`ConfigurationError` saying another process is
    writing ``what`` there. The OS releases the lock if the process dies. Not POSIX: no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    directory = Path(directory)
    with (directory / name).open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ConfigurationError(
                f"another process is writing {what} in {directory}; wait for it or choose "
                "another --out"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# -- JSON ----------------------------------------------------------------------------------------
def json_ready(value: Any) -> Any:
    """``value`` as JSON stores it: mappings with text keys, tuples and sets as lists, numpy
    scalars and arrays as Python numbers and lists, dataclasses as mappings, paths as text;
    any other object as its ``repr`` (settings name it, they do not rebuild it)."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_ready(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_ready(dataclasses.asdict(value))
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return json_ready(tolist())
    return repr(value)


def json_float(value: float | None) -> float | None:
    """``value`` as a float JSON can store: None for None, NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# -- a journal -----------------------------------------------------------------------------------
class Journal:
    """A resumable job's directory: the settings it was made with, its rows, and a lock.

    ``directory`` holds ``settings_file`` (the JSON object :func:`json_ready` makes of
    ``settings``) and ``rows``, a JSON-lines file (``is_row`` checks each row read back; a
    ``header`` makes it a CSV row file instead; ``settings`` None: a journal only read or
    appended to, whose settings are not compared). :meth:`read` checks the saved settings against
    ``settings`` (keys in ``may_differ`` may differ, ``names`` maps a key to the option a user
    gives; ``what`` names the job in a lock's message, ``row_what`` a row in a bad line's) and
    returns the rows made so far (a last line cut short by a kill left out, and cut off when
    :meth:`open` takes the lock);
    :meth:`open` holds the directory's lock, writes the settings and appends rows durably.
    :meth:`row_file` gives another row file beside it, written under the same lock. Several
    journals may share a directory, each with its own files and ``lock_file``.
    """

    def __init__(
        self,
        directory: str | Path,
        settings: Mapping[str, Any] | None = None,
        *,
        rows: str = "rows.jsonl",
        settings_file: str = SETTINGS_FILE,
        is_row: Callable[[Any], bool] | None = None,
        header: Sequence[str] | None = None,
        may_differ: Iterable[str] = (),
        names: Callable[[str], str] | None = None,
        what: str = "rows",
        row_what: str = "a row",
        lock_file: str = LOCK_FILE,
    ) -> None:
        self.directory = Path(directory)
        self.lock_file = lock_file
        self.settings = None if settings is None else json_ready(dict(settings))
        self.settings_path = self.directory / settings_file
        self.may_differ = tuple(may_differ)
        self.names = names
        self.what = what
        self.rows: RowFile = (
            JsonLinesFile(self.directory / rows, is_row, row_what)
            if header is None
            else CsvRowFile(self.directory / rows, header)
        )

    def __repr__(self) -> str:
        return f"Journal({str(self.directory)!r})"

    @staticmethod
    def beside(path: str | Path, suffix: str) -> dict[str, Any]:
        """Where the journal of a single row file ``path`` keeps its parts, as arguments of
        :class:`Journal`: the settings beside it (``PATH`` + ``suffix``) and a lock of its own,
        so that other files may share the directory."""
        path = Path(path)
        return {
            "directory": path.parent,
            "rows": path.name,
            "settings_file": path.name + suffix,
            "lock_file": f".{path.name}.lock",
        }

    def saved_settings(self) -> dict[str, Any] | None:
        """The settings the directory was made with (None: a new journal)."""
        return read_settings(self.settings_path) if self.settings_path.exists() else None

    def check(self) -> None:
        """Raise unless the directory is new or was made with the same settings (rows without
        their settings file are refused: they were made by something else)."""
        saved = self.saved_settings()
        if saved is None:
            if self.rows.exists() and self.settings is not None:
                raise ConfigurationError(
                    f"{self.rows.path} exists without its {self.settings_path.name}; choose "
                    "another --out"
                )
            return
        if self.settings is None:
            return
        check_settings(
            saved,
            self.settings,
            where=self.directory,
            may_differ=self.may_differ,
            names=self.names,
        )

    def read(self, *, repair: bool = False) -> list[Any]:
        """The rows made so far ([] for a new journal), after :meth:`check`. A last line cut
        short is left out, and cut off the file only with ``repair`` (which a writer does under
        the lock: :meth:`open`; another process may be writing that line now)."""
        self.check()
        return self.rows.read(repair=repair)

    def write_settings(self) -> None:
        """Record the settings (atomically)."""
        if self.settings is None:
            raise ConfigurationError(f"{self}: a journal without settings cannot record them")
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.settings_path, json.dumps(self.settings, indent=1) + "\n")

    def row_file(
        self, name: str, is_row: Callable[[Any], bool] | None = None, what: str = "a row"
    ) -> JsonLinesFile:
        """Another JSON-lines file of rows in the directory (write it under :meth:`locked`)."""
        return JsonLinesFile(self.directory / name, is_row, what)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock (made if missing) while the block runs."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with locked(self.directory, what=self.what, name=self.lock_file):
            yield

    @contextmanager
    def open(self) -> Iterator[RowAppender]:
        """Under the lock: check the settings, record them and append rows durably."""
        with self.locked():
            self.check()
            self.write_settings()
            complete_lines(self.rows.path, repair=True)  # a line cut short by a kill: dropped
            with self.rows.appending() as appender:
                yield appender
