"""The ``ray`` executor: tasks as Ray remote tasks (``pip install 'nasperf[ray]'``)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..exceptions import ClusterUnavailableError, ConfigurationError, require
from ._base import Executor, TaskOutcome, _charge, _check_retries, _describe, _take

if TYPE_CHECKING:  # pragma: no cover
    from ._base import _R, _T, _Task

__all__ = ["RayExecutor", "CONNECT_TIMEOUT", "GCS_TIMEOUT"]

log = logging.getLogger(__name__)

#: seconds a cluster's address is given to accept a connection before it counts as unreachable
CONNECT_TIMEOUT = 5.0
#: seconds the cluster's GCS is given to say whether this machine may join it
GCS_TIMEOUT = 15.0
#: seconds a checked address is taken to be fine (the CLI checks it, then the executor joins)
_RECHECK_AFTER = 60.0
_answered: dict[str, float] = {}  # address -> when it last answered
#: what to do about a cluster that cannot be reached, for the messages
_WHAT_TO_DO = (
    "start a head there with `ray start --head --port PORT`, or leave out --address for a "
    "private local Ray instance"
)


def _call(fn: Callable[[_T], _R], item: _T) -> _R:
    """Run ``fn(item)``; Ray remotes this one function, so ``fn`` may be any picklable callable."""
    return fn(item)


def _host_port(address: str, what: str) -> tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT`` (``ray://`` and ``[IPv6]`` forms too), else
    ConfigurationError naming ``what`` the address is."""
    text = address.strip().split("://", 1)[-1]
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(
            f"{what} {address!r} is not a Ray cluster address: give 'auto' or HOST:PORT "
            "(e.g. 127.0.0.1:6379), or leave out --address for a private local Ray instance"
        )
    return host, int(port)


def _probe(host: str, port: int, timeout: float, what: str) -> None:
    """Raise ClusterUnavailableError unless ``host:port`` accepts a TCP connection within
    ``timeout`` seconds (a Ray head's GCS port does; Ray itself would retry for ever)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except socket.gaierror as exc:
        reason = f"unknown host {host!r}: {exc.strerror or exc}"
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise ClusterUnavailableError(
        f"no Ray cluster at {what} {host}:{port} ({reason}): {_WHAT_TO_DO}"
    )


#: asks the GCS at argv[1] for its cluster id in a child process, so that Ray's retries and
#: its C++ warnings stay out of this one; exit 1 and one line: why it cannot be joined
_ASK_GCS = """
import sys
try:
    from ray._raylet import GcsClient
except ImportError:
    sys.exit(0)
try:
    GcsClient(address=sys.argv[1])
except Exception as exc:
    print(type(exc).__name__, " ".join(str(exc).split()))
    sys.exit(1)
"""


def _ask_gcs(host: str, port: int, timeout: float, what: str) -> None:
    """Raise ClusterUnavailableError unless a Ray GCS answers at ``host:port`` and lets this
    machine join (a port that accepts connections may be another server, or a cluster that
    asks for its authentication token). Where the question itself fails, ray.init decides."""
    try:
        asked = subprocess.run(
            [sys.executable, "-c", _ASK_GCS, f"{host}:{port}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        reason = f"its GCS did not answer within {timeout:g} s"
    except OSError as exc:  # no process to ask with: ray.init will tell
        log.debug("could not ask the Ray GCS at %s:%d: %s", host, port, exc)
        return
    else:
        answer = asked.stdout.strip().splitlines()
        if asked.returncode != 1 or not answer:
            return
        reason = answer[-1]
        if reason.startswith("AuthenticationError"):
            raise ClusterUnavailableError(
                f"the Ray cluster at {what} {host}:{port} asks for its authentication token: "
                "run with RAY_AUTH_MODE=token and the token in ~/.ray/auth_token or "
                "RAY_AUTH_TOKEN (see `ray get-auth-token`), or leave out --address for a "
                "private local Ray instance"
            )
    raise ClusterUnavailableError(
        f"no Ray cluster answers at {what} {host}:{port} ({reason}): {_WHAT_TO_DO}"
    )


def _auto_address() -> tuple[str, str] | None:
    """What ``address="auto"`` joins: ``(where it was found, address)``, None where this Ray
    does not say (ray.init then decides); ClusterUnavailableError where there is none."""
    found = os.environ.get("RAY_ADDRESS", "").strip()
    if found:
        return "RAY_ADDRESS", found
    try:  # how ray.init resolves "auto": the last `ray start`, else a running head
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # pragma: no cover - another Ray's layout
        return None
    try:
        found = canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError) as exc:
        raise ClusterUnavailableError(
            "--address auto: no Ray cluster runs on this machine (no RAY_ADDRESS, no head "
            "started with `ray start --head`): start one with `ray start --head`, or leave out "
            "--address for a private local Ray instance"
        ) from exc
    return ("the running Ray head", found) if found else None


def check_address(address: str | None, timeout: float = CONNECT_TIMEOUT) -> None:
    """Check a Ray cluster ``address`` before any work, in seconds where Ray would wait for
    ever: ``"auto"`` must find a cluster (RAY_ADDRESS's, or one started on this machine),
    its address and ``"HOST:PORT"`` must accept a connection within ``timeout`` seconds, and
    the GCS at ``"HOST:PORT"`` must let this machine join (:data:`GCS_TIMEOUT`). None or
    ``"local"`` (a private local instance) need nothing. Raises ConfigurationError for a
    malformed address and ClusterUnavailableError, saying what to do, for a cluster that
    cannot be found or joined."""
    if address is None or address == "local":
        return
    if not isinstance(address, str) or not address.strip():
        raise ConfigurationError(f"a Ray address is 'auto' or HOST:PORT, got {address!r}")
    require("ray", "ray")  # without Ray, installing it comes first
    if time.monotonic() - _answered.get(address, -_RECHECK_AFTER) < _RECHECK_AFTER:
        return
    given = address
    what, ask = "--address", "://" not in address  # ray://: Ray Client, no GCS to ask
    if address == "auto":
        auto = _auto_address()
        if auto is None:
            return
        # ray.init turns on the token of a cluster it finds itself: that one is its to ask
        # (a ray:// RAY_ADDRESS is Ray Client's: no GCS to ask there either)
        what = f"--address auto ({auto[0]}: {auto[1]}):"
        address, ask = auto[1], auto[0] == "RAY_ADDRESS" and "://" not in auto[1]
    host, port = _host_port(address, what)
    _probe(host, port, timeout, what)
    if ask:
        _ask_gcs(host, port, GCS_TIMEOUT, what)
    _answered[given] = time.monotonic()


def _ray_log_level() -> int:
    """Ray's own log level: WARNING, or higher where nasperf's logger is (``-q``: errors)."""
    return max(logging.WARNING, logging.getLogger("nasperf").getEffectiveLevel())


@contextmanager
def _sigterm_kept() -> Iterator[None]:
    """SIGTERM's handler as it was before the block, whatever the block installs (in the main
    thread, where handlers can be set; a handler set outside Python is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


def _nothing() -> None:
    """Nothing to undo."""


def _worker_output_to_stderr(ray: Any) -> tuple[Callable[[], None], bool]:
    """Send what Ray prints for the driver (its workers' output and the raylet's messages, a
    dead worker's among them) to stderr instead of stdout, which holds a command's results.
    Returns the function that undoes it and whether Ray's output now goes to stderr: Ray
    chooses the stream in one function of its worker module, which another Ray may lack."""
    module = getattr(getattr(ray, "_private", None), "worker", None)
    original = getattr(module, "print_to_stdstream", None)
    if original is None:
        return _nothing, False
    if getattr(original, "to_stderr", False):  # another executor of this process did it
        return _nothing, True

    def to_stderr(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return original({**data, "is_err": True}, *args, **kwargs)

    to_stderr.to_stderr = True  # type: ignore[attr-defined]
    module.print_to_stdstream = to_stderr

    def undo() -> None:
        if module.print_to_stdstream is to_stderr:
            module.print_to_stdstream = original

    return undo, True


class RayExecutor(Executor):
    """Run tasks as Ray remote tasks (``pip install 'nasperf[ray]'``).

    ``address`` is None (a private local Ray instance of ``workers`` CPUs, which never joins
    a cluster already running on the machine, nor RAY_ADDRESS's), ``"auto"`` (join the
    cluster RAY_ADDRESS names or that runs on this machine) or ``"HOST:PORT"``; a cluster's
    address is checked (:func:`check_address`) before Ray is asked, so an unreachable one is
    a :class:`~nasperf.exceptions.ClusterUnavailableError`, not a wait without end. Ray's
    output and its workers' go to stderr, never stdout. Ray's own retries are turned off
    (``max_retries=0``); a task that raises or whose worker dies is retried here, ``retries``
    times, as with :class:`LocalExecutor`. Ray attributes a dead worker to its task, so no
    isolation is needed.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 1) -> None:
        super().__init__(workers)
        if address is not None and address not in ("auto", "local"):
            _host_port(str(address), "address")  # a malformed address: an error at once
        self.address = address
        self._ray = require("ray", "ray")
        self._owns_ray = False  # whether this executor called ray.init
        self._undo_output: Callable[[], None] = _nothing

    @staticmethod
    def check_address(address: str | None, timeout: float = CONNECT_TIMEOUT) -> None:
        """:func:`check_address`: ``address`` names a cluster that answers (None: nothing)."""
        check_address(address, timeout)

    def _connect(self) -> Any:
        ray = self._ray
        if ray.is_initialized():
            return ray
        if self.address in (None, "local"):
            # "local": a new instance even where a head runs or RAY_ADDRESS is set (num_cpus
            # would make ray.init fail there). Its workers see the driver's sys.path, as
            # spawned pool workers do, so functions of scripts and test modules unpickle.
            path = os.pathsep.join(p for p in sys.path if p)
            start: dict[str, Any] = {
                "address": "local",
                "num_cpus": self.workers,
                "include_dashboard": False,
                "runtime_env": {"env_vars": {"PYTHONPATH": path}},
            }
        else:
            check_address(self.address)
            start = {"address": self.address}
        # the workers' output only where it can go to stderr (else it stays in Ray's logs)
        self._undo_output, to_stderr = _worker_output_to_stderr(ray)
        try:
            # ray.init installs its own SIGTERM handlers (sys.exit, a crash report): nasperf's
            # (SIGTERM ends a command as Ctrl-C does: one line, exit 143) is put back after it
            with _sigterm_kept():
                ray.init(**start, logging_level=_ray_log_level(), log_to_driver=to_stderr)
        except ConnectionError as exc:
            self._undo_output()
            raise ClusterUnavailableError(
                f"cannot join the Ray cluster at --address {self.address} ({exc}): {_WHAT_TO_DO}"
            ) from exc
        except BaseException:
            self._undo_output()
            raise
        self._owns_ray = True
        return ray

    def close(self) -> None:
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False
            self._undo_output()
            self._undo_output = _nothing

    def map_unordered(
        self, fn: Callable[[_T], _R], items: Iterable[_T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[_T, _R]]:
        retries = _check_retries(retries)
        return self._run(fn, items, retries)

    def _run(
        self, fn: Callable[[_T], _R], items: Iterable[_T], retries: int
    ) -> Iterator[TaskOutcome[_T, _R]]:
        ray = self._connect()
        remote = ray.remote(num_cpus=1, max_retries=0)(_call)
        source = iter(items)
        limit = 2 * self.workers
        running: dict[Any, _Task] = {}
        again: deque[_Task] = deque()

        def fill() -> None:
            while len(running) < limit:
                task = again.popleft() if again else _take(source)
                if task is None:
                    return
                task.attempts += 1
                running[remote.remote(fn, task.item)] = task

        try:
            fill()
            while running:
                (ref,), _ = ray.wait(list(running), num_returns=1)
                task = running.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = getattr(exc, "cause", None)
                    error = _describe(cause) if cause is not None else _describe(exc)
                except ray.exceptions.RayError as exc:  # worker or node died, task lost
                    error = f"the Ray worker died ({_describe(exc)})"
                else:
                    yield TaskOutcome(task.item, result, None, task.attempts)
                    fill()
                    continue
                outcome = _charge(task, error, retries, again)
                if outcome is not None:
                    yield outcome
                fill()
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers})"
