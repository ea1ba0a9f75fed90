"""The ``nubis`` command: start's banner, status, reset, clock, clean shutdown."""
import contextlib
import os
import signal
import subprocess
import sys

from nubis.testing import free_port


def nubis(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "nubis", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@contextlib.contextmanager
def foreground(*args, env=None):
    """``nubis start ...`` as a user runs it; yields (process, its first line)."""
    proc = subprocess.Popen([sys.executable, "-m", "nubis", "start", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc, proc.stdout.readline()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()


def test_start_prints_one_clear_line_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    data = tmp_path / "d"
    with foreground("--port", str(port), "--data-dir", str(data)) as (proc, line):
        assert f"http://localhost:{port}" in line
        assert str(data) in line
        assert "AWS_ENDPOINT_URL" in line and "--endpoint-url" in line and line.rstrip().endswith("Ready.")
        endpoint = f"http://localhost:{port}"
        status = nubis("status", "--endpoint", endpoint)
        assert status.returncode == 0 and "sts" in status.stdout and str(data) in status.stdout
        clock = nubis("clock", "--endpoint", endpoint, "--advance", "60")
        assert clock.returncode == 0 and "offset 60" in clock.stdout
        reset = nubis("reset", "--endpoint", endpoint)
        assert reset.returncode == 0
        bad = nubis("reset", "nosuchservice", "--endpoint", endpoint)
        assert bad.returncode == 1 and "nosuchservice" in bad.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    # State closed properly: the WAL was checkpointed into the database file.
    assert (data / "nubis.db").exists()
    assert not (data / "nubis.db-wal").exists() or (data / "nubis.db-wal").stat().st_size == 0


def test_settings_come_from_the_environment(tmp_path):
    port = free_port()
    env = dict(os.environ, NUBIS_PORT=str(port), NUBIS_EPHEMERAL="1")
    with foreground(env=env) as (proc, line):
        assert f":{port}" in line and "ephemeral" in line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0


def test_ephemeral_leaves_nothing_behind(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    env = dict(os.environ, TMPDIR=str(tmp))
    with foreground("--ephemeral", "--port", str(port), env=env) as (proc, _):
        assert list(tmp.iterdir())  # state lives in a temporary directory while running
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    assert list(tmp.iterdir()) == []


def test_status_when_nothing_runs():
    out = nubis("status", "--endpoint", f"http://localhost:{free_port()}")
    assert out.returncode == 1 and "not running" in out.stderr


def test_port_in_use_fails_clearly(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = nubis("start", "--ephemeral", "--port", str(port), timeout=30)
    assert out.returncode != 0
    assert "address already in use" in (out.stderr + out.stdout).lower()
