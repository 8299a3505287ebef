"""Ctrl-C and SIGTERM to a running ``pytest e2e -n 2``: the run stops, and no server, Chrome or driver of it is left.

Each case starts the suite as a user would, in a session of its own, with a process spinning on one of the two
cores beside it (a loaded machine is where a slow shutdown shows), watches the run until the moment in question,
signals it, and then holds it to pytest's contract for an interrupt: exit 2 within 30 s, "KeyboardInterrupt" said,
the tests not yet started never run (SIGTERM: ended within 30 s); and every process it saw to being gone within a
deadline.

Ctrl-C in a terminal signals the whole foreground process group (pytest, every xdist worker, and every Chrome and
driver they started); a ``kill -INT`` reaches pytest alone. Both are sent. The moments: a server starting (the run
starting up), a server and Chrome both up (a storm under way), and a server that logged that it aged a storm's
clients for NiceGUI's prune (a storm judged after the prune).

SIGKILL of the pytest process alone (not its group, which would take Chrome with it) leaves its servers to their
orphan guard and its Chrome and driver to the watchdog process that the browser starts beside them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from nicegui_e2e import processes
from nicegui_e2e.processes import alive
from nicegui_e2e.records import read_records
from nicegui_e2e.waiting import wait_for
from nicegui_e2e.wire import ENV

pytestmark = [pytest.mark.storm, pytest.mark.robustness]  # the suite's own, not a NiceGUI release's
ROOT = Path(__file__).resolve().parent.parent
STOP_DEADLINE = 30.0
"""Seconds from the interrupt to pytest's exit: Ctrl-C stops a run, it does not let it finish."""


def is_server(process: psutil.Process) -> bool:
    try:
        return 'nicegui_e2e.bootstrap' in ' '.join(process.cmdline())
    except psutil.Error:  # gone, or a zombie, in between
        return False


def is_chrome(process: psutil.Process) -> bool:
    try:
        return 'chrom' in process.name()
    except psutil.Error:
        return False


def pruning(process: psutil.Process) -> bool:
    """The server logged that it aged a storm's clients for NiceGUI's prune."""
    try:
        run_dir = Path(json.loads(process.environ()[ENV])['run_dir'])
    except (psutil.Error, KeyError, ValueError):
        return False
    return any(record['logger'] == 'nicegui_e2e.prune' for record in read_records(run_dir / 'records.jsonl'))


MOMENTS = {
    'start-up': lambda seen: any(is_server(p) for p in seen),
    'mid-storm': lambda seen: any(is_server(p) for p in seen) and any(is_chrome(p) for p in seen),
    'mid-prune': lambda seen: any(is_server(p) and pruning(p) for p in seen),
}
RUNS = {  # what each moment interrupts: several tests per worker, so that some are still to come
    'start-up': ['e2e/test_navigation_storms.py', '-k', 'lifecycle_intact'],
    'mid-storm': ['e2e/test_navigation_storms.py', '-k', 'lifecycle_intact'],
    'mid-prune': ['e2e/test_family.py'],
}


@pytest.fixture
def load() -> Iterator[None]:
    """A process spinning on one core for as long as the test runs (at most ten minutes)."""
    spin = subprocess.Popen(
        [sys.executable, '-c', 'import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass']
    )
    try:
        yield
    finally:
        spin.kill()
        spin.wait()


def ran(output: str) -> tuple[int, int]:
    """(tests collected, tests that reported an outcome) from pytest's own lines."""
    collected = re.search(r'\[(\d+) items?\]', output)
    final = output.strip().splitlines()[-1] if output.strip() else ''
    outcomes = re.findall(r'(\d+) (?:passed|failed|errors?|skipped|xfailed|xpassed)', final)
    return (int(collected.group(1)) if collected else 0), sum(map(int, outcomes))


@pytest.mark.usefixtures('load')
@pytest.mark.parametrize(
    'sig, moment, workers, group',
    [
        (signal.SIGINT, 'start-up', '2', True),
        (signal.SIGINT, 'mid-storm', '2', True),
        (signal.SIGINT, 'mid-prune', '2', True),
        (signal.SIGINT, 'mid-storm', '2', False),
        (signal.SIGTERM, 'mid-storm', '2', True),
        (signal.SIGKILL, 'mid-storm', '0', False),
    ],
    ids=[
        'ctrl-c-start-up',
        'ctrl-c-mid-storm',
        'ctrl-c-mid-prune',
        'kill-int-pytest-mid-storm',
        'sigterm-group-mid-storm',
        'sigkill-pytest-mid-storm',
    ],
)
def test_an_interrupted_run_stops_and_leaves_nothing_behind(
    tmp_path: Path, sig: signal.Signals, moment: str, workers: str, group: bool
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_E2E_'))}
    run = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'pytest',
            *RUNS[moment],
            '-n',
            workers,
            '-p',
            'no:cacheprovider',
            f'--nicegui-e2e-artifacts={tmp_path / "artifacts"}',
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: dict[int, psutil.Process] = {}

    def reached() -> bool:
        seen.update((p.pid, p) for p in processes.family(run.pid)[1:])
        return MOMENTS[moment](list(seen.values()))

    try:
        # every moment needs a server seen running, so a run that started none cannot pass this test
        wait_for(reached, timeout=180, what=f'the run to reach the moment "{moment}"', interval=0.05)
        (os.killpg if group else os.kill)(run.pid, sig)
        signalled = time.monotonic()
        output, _ = run.communicate(timeout=120)
        took = time.monotonic() - signalled
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    text = output.decode(errors='replace')
    if sig == signal.SIGKILL:
        assert run.returncode == -signal.SIGKILL
    elif sig == signal.SIGTERM:  # xdist's controller starts nothing, so it keeps SIGTERM's default and ends at once
        assert run.returncode == -signal.SIGTERM, text[-3000:]
    else:
        collected, reported = ran(text)
        assert run.returncode == pytest.ExitCode.INTERRUPTED, text[-3000:]
        assert 'KeyboardInterrupt' in text, text[-3000:]
        assert reported < collected, f'{reported} of {collected} tests reported: the run went on\n{text[-3000:]}'
    assert took <= STOP_DEADLINE, f'pytest took {took:.1f} s to stop after {sig.name}: {text[-3000:]}'
    try:
        wait_for(
            lambda: not [p for p in seen.values() if alive(p)],
            timeout=20,
            what='every process of the interrupted run to end',
        )
    except TimeoutError:
        left = [(p.pid, ' '.join(p.cmdline())[:80]) for p in seen.values() if alive(p)]
        for process in seen.values():
            if alive(process):
                process.kill()
        pytest.fail(f'left running after {sig.name} at "{moment}": {left}\n{text[-2000:]}')
