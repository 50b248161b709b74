"""Starting, killing and stopping the real processes a drill or benchmark runs against.

Each process starts in a session of its own, so a kill reaches the whole process group (a
Celery worker and its pool children die together, as when a machine is lost), and nothing the
drill started outlives it.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    """A TCP port nobody is listening on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(check, *, timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``check()`` until it is true; ``TimeoutError`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Process:
    """One child process with its log file; ``kill()`` is a crash, ``stop()`` a shutdown."""

    def __init__(self, name: str, command: list[str], *, log: Path, env: dict | None = None):
        self.name = name
        log.parent.mkdir(parents=True, exist_ok=True)
        # A file, not a pipe: a pipe nobody reads fills up and stalls a busy process.
        with log.open("a") as output:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no acknowledgements, as in a crash."""
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        """Ask the process group to stop; kill it if it has not within ``timeout`` seconds."""
        if self.running:
            self._signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        # Pool children may outlive their parent: make sure the group is gone either way.
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)


def redis_server(port: int, *, data_dir: Path, log: Path) -> Process:
    """A throwaway redis-server on ``port`` without persistence: a crash loses what it held."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server was not found: install Redis (Debian: redis-server).")
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--dir", str(data_dir), "--protected-mode", "yes"]
    server = Process("redis", command, log=log)
    wait_until(lambda: port_open(port), timeout=20, what=f"redis-server on port {port}")
    return server


def smtp_sink(port: int, *, record: Path, log: Path) -> Process:
    """``chaos.sink`` on ``port``, recording what it receives to ``record``."""
    command = [sys.executable, "-m", "chaos.sink", "--port", str(port), "--record", str(record)]
    sink = Process("smtp sink", command, log=log)
    wait_until(lambda: port_open(port), timeout=20, what=f"the SMTP sink on port {port}")
    return sink


def celery_worker(env: dict, *, log: Path, concurrency: int = 2) -> Process:
    """The product's worker, as the Procfile runs it."""
    command = [CELERY, "-A", "project", "worker", "--concurrency", str(concurrency)]
    command += ["--loglevel", "INFO"]
    return Process("celery worker", command, log=log, env=env)


def worker_ready(app, *, timeout: float = 60) -> None:
    """Wait until a worker answers a ping on ``app``'s broker."""
    wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=timeout, what="the worker")
