"""The ray executor beside a Ray head running on this machine (started here with
``ray start --head`` in its own temp dir and process group, and killed with it): with no
address the executor starts a private instance and never joins the head, even with
RAY_ADDRESS naming it; the head's address passes the check made before any work."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nasperf.exceptions import ClusterUnavailableError
from nasperf.execution import RayExecutor

pytestmark = pytest.mark.ray

#: seconds the head is given to start on a busy machine
START_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """End the head: its process group (``ray start --block`` and every Ray process it
    started), SIGTERM, then SIGKILL for what is left; never ``ray stop``, which would stop
    everyone's Ray on this machine."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=3)


@pytest.fixture(scope="module")
def head() -> Iterator[int]:
    """A Ray head on a free port of this machine; yields the port."""
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip("the ray command is not installed beside this Python")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="nasperf-ray-", dir="/tmp")  # short: Ray's socket paths
    command = [str(ray_cli), "start", "--head", f"--port={port}", f"--temp-dir={temp}",
               "--num-cpus=1", "--include-dashboard=false", "--disable-usage-stats",
               "--block"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    log = open(Path(temp) / "head.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not start: {(Path(temp) / 'head.log').read_text()}")
            time.sleep(0.5)
        yield port
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def test_no_address_never_joins_a_running_head(head: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{head}")  # what a plain ray.init would join
    with RayExecutor(workers=1) as executor:
        (outcome,) = executor.map_unordered(abs, [-3])
        assert outcome.ok and outcome.result == 3
        joined = ray.get_runtime_context().gcs_address
    assert not joined.endswith(f":{head}")  # a private instance, not the head
    assert not ray.is_initialized()
    assert _listening(head)  # the head is left running


def test_the_heads_address_passes_the_check(head: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "token")  # Ray >= 2.5x: the head asks for its token
    RayExecutor.check_address(f"127.0.0.1:{head}")
    monkeypatch.delenv("RAY_AUTH_MODE")
    monkeypatch.setattr("nasperf.execution._ray._answered", {})
    try:  # without the token, a head that asks for it is refused at once
        RayExecutor.check_address(f"127.0.0.1:{head}")
    except ClusterUnavailableError as exc:
        assert "authentication token" in str(exc) and "RAY_AUTH_MODE=token" in str(exc)
