"""The Grid script and remote browsers when things go wrong: a failing run, a test process killed mid-storm, a
Grid that is not there. Each ends with nothing of the Grid or its browsers left, checked here."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from nicegui_e2e.waiting import wait_for

pytestmark = [pytest.mark.storm, pytest.mark.robustness]  # the suite's own, not a NiceGUI release's
ROOT = Path(__file__).resolve().parent.parent
GRID = [sys.executable, str(ROOT / 'scripts' / 'grid.py')]
TAG = 'nicegui.e2e.grid'
STORM_TEST = """
def test_a_storm_then_a_failure(nicegui_storm):
    nicegui_storm('get', count={count})
    assert False, 'failed on purpose, after the storm'
"""


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_E2E_'))}


def suite_run(tmp_path: Path, count: int) -> list[str]:
    (tmp_path / 'test_storm.py').write_text(STORM_TEST.format(count=count))
    return [
        sys.executable,
        '-m',
        'pytest',
        '-p',
        'nicegui_e2e.plugin',
        '-p',
        'no:cacheprovider',
        '-q',
        '--rootdir',
        str(tmp_path),
        str(tmp_path / 'test_storm.py'),
        '--nicegui-e2e-app',
        str(ROOT / 'apps' / 'multipage.py'),
    ]


def jvms_of(logs: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if f'-D{TAG}={logs.resolve()}' in process.cmdline():
                found.append(process)
        except psutil.Error:
            continue
    return found


def sessions_in_use(url: str) -> int:
    with urllib.request.urlopen(f'{url}/status', timeout=5) as response:
        nodes = json.loads(response.read())['value']['nodes']
    return sum(1 for node in nodes for slot in node['slots'] if slot.get('session'))


def test_a_failing_run_through_the_grid_leaves_nothing(tmp_path: Path) -> None:
    logs = tmp_path / 'grid-logs'
    run = subprocess.run(
        [*GRID, 'run', '--layout', 'standalone', '--sessions', '1', '--logs', str(logs), '--', *suite_run(tmp_path, 5)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
        check=False,
    )
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]  # the suite's failure, passed through
    assert 'failed on purpose, after the storm' in run.stdout
    assert 'none left' in run.stderr.splitlines()[-1], run.stderr
    assert not jvms_of(logs)


@pytest.fixture
def grid(tmp_path: Path) -> Iterator[str]:
    """A Grid serving until the test ends; its URL."""
    logs = tmp_path / 'grid-logs'
    serve = subprocess.Popen(
        [*GRID, 'serve', '--layout', 'standalone', '--sessions', '1', '--logs', str(logs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().strip()  # printed once the Grid is ready; EOF if it could not start
        assert url.startswith('http://127.0.0.1:'), serve.communicate(timeout=30)[1]
        yield url
    finally:
        serve.send_signal(signal.SIGTERM)
        _, errors = serve.communicate(timeout=60)
        assert 'none left' in errors.splitlines()[-1], errors
        assert not jvms_of(logs)


def test_a_test_process_killed_mid_storm_leaves_no_session_on_the_grid(tmp_path: Path, grid: str) -> None:
    env = {**clean_env(), 'NICEGUI_E2E_REMOTE_URL': grid}
    run = subprocess.Popen(
        suite_run(tmp_path, 200), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
    )
    try:
        wait_for(lambda: sessions_in_use(grid), timeout=60, what='the storm to take a session on the Grid')
        run.kill()  # the test process only: no finalizer runs; its watchdog must end the session
        run.wait(timeout=10)
        wait_for(
            lambda: sessions_in_use(grid) == 0,
            timeout=30,
            what="the watchdog to end the dead test process's session on the Grid",
        )
    finally:
        if run.poll() is None:
            run.kill()


def test_a_grid_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    with socket_free_port() as port:
        result = subprocess.run(
            [*suite_run(tmp_path, 5), f'--nicegui-e2e-remote-url=http://127.0.0.1:{port}'],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean_env(),
            check=False,
        )
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if 'no browser session from the Grid' in line)
    assert f'http://127.0.0.1:{port} (remote_url)' in line and 'Connection refused' in line
    assert 'Traceback' not in result.stdout


@contextmanager
def socket_free_port() -> Iterator[int]:
    """A port nothing listens on, held bound (not listening) so that nothing else takes it meanwhile."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        yield probe.getsockname()[1]
