"""The process pool and interruptions: workers leave Ctrl-C to the driver, an exception in
the driver ends them at once, and they exit by themselves when the driver is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasperf.execution import LocalExecutor

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="reads /proc and sends POSIX signals"
)


# -- tasks (top level, so the spawned workers can import them) ----------------------------------
def interrupt_myself(x: int) -> int:
    """Send this worker SIGINT (as Ctrl-C does to the whole process group), then work on."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    return x * x


def pid_then_sleep(item: tuple[str, float]) -> int:
    """Write this worker's pid into the directory ``item[0]``, then sleep ``item[1]`` s."""
    Path(item[0], str(os.getpid())).touch()
    time.sleep(item[1])
    return os.getpid()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_for(condition, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_workers_ignore_ctrl_c() -> None:
    with LocalExecutor(workers=2) as ex:
        outcomes = list(ex.map_unordered(interrupt_myself, [2, 3], retries=0))
    assert sorted(o.result for o in outcomes) == [4, 9]
    assert all(o.ok for o in outcomes)


def test_leaving_by_an_exception_ends_the_running_workers_at_once(tmp_path: Path) -> None:
    items = [(str(tmp_path), 0.0), (str(tmp_path), 60.0), (str(tmp_path), 60.0)]
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), LocalExecutor(workers=2) as ex:  # noqa: PT012
        outcomes = ex.map_unordered(pid_then_sleep, items)
        assert next(outcomes).ok  # the quick task: the other two now run on both workers
        assert wait_for(lambda: len(list(tmp_path.iterdir())) == 2, 60)
        raise KeyboardInterrupt  # as Ctrl-C in the driver, while both tasks run
    assert time.monotonic() - started < 45  # not the 60 s the tasks would take
    pids = [int(p.name) for p in tmp_path.iterdir()]
    assert wait_for(lambda: not any(alive(pid) for pid in pids), 10)


DRIVER = """
import sys
sys.path.insert(0, {tests!r})
from test_interrupts import pid_then_sleep
from nasperf.execution import LocalExecutor

with LocalExecutor(workers=2) as ex:
    list(ex.map_unordered(pid_then_sleep, [({out!r}, 120.0)] * 2))
"""


def test_workers_exit_when_the_driver_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "pids"
    out.mkdir()
    script = DRIVER.format(tests=str(Path(__file__).parent), out=str(out))
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        assert wait_for(lambda: len(list(out.iterdir())) == 2, 120), "the workers never started"
        pids = [int(p.name) for p in out.iterdir()]
        assert all(alive(pid) for pid in pids)
        driver.kill()  # SIGKILL: the driver runs no cleanup at all
        driver.wait(10)
        assert wait_for(lambda: not any(alive(pid) for pid in pids), 15), "orphaned workers"
    finally:
        if driver.poll() is None:
            driver.kill()
        for p in out.iterdir():
            if alive(int(p.name)):
                os.kill(int(p.name), signal.SIGKILL)


def square_slowly(x: int) -> int:
    time.sleep(0.5)
    return x * x


STARTING = """
import sys
sys.path.insert(0, {tests!r})
from test_interrupts import square_slowly
from nasperf.cli.console import interrupted_message, sigterm_as_interrupt, terminated
from nasperf.execution import LocalExecutor

try:
    with sigterm_as_interrupt(), LocalExecutor(workers=2) as ex:
        outcomes = ex.map_unordered(square_slowly, range(8))
        print("submitting", flush=True)
        list(outcomes)
except KeyboardInterrupt:
    print(interrupted_message(), file=sys.stderr)
    sys.exit(143 if terminated() else 130)
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_workers_start_is_one_line_and_no_hang(
    tmp_path: Path, sig: int, code: int
) -> None:
    """Ctrl-C, or SIGTERM to the process group, while the pool's spawned workers are still
    starting: Python 3.11's pool thread must not fail on the futures cancelled meanwhile (a
    thread traceback) nor leave its queue's feeder blocked (a hang at exit)."""
    script = STARTING.format(tests=str(Path(__file__).parent))
    for delay in (0.05, 0.2, 0.4):
        driver = subprocess.Popen(
            [sys.executable, "-c", script], cwd=tmp_path, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        try:
            assert driver.stdout is not None and driver.stdout.readline() == "submitting\n"
            time.sleep(delay)  # the workers import for longer than this
            os.killpg(driver.pid, sig)  # as a terminal's Ctrl-C or a batch scheduler's kill
            _, err = driver.communicate(timeout=15)
        finally:
            if driver.poll() is None:
                os.killpg(driver.pid, signal.SIGKILL)
                driver.communicate()
        word = "terminated (SIGTERM)" if sig == signal.SIGTERM else "interrupted"
        assert driver.returncode == code and err.splitlines() == [word], (delay, err)
