"""Ctrl-C and SIGTERM to a running ``pytest e2e``: the run ends, and no server, Chrome or driver of it is left.

Each case starts the suite as a user would, in a session of its own, watches its process tree until the moment
in question (a server process starting; Chrome and a server both up, so a storm is under way), signals the
whole group, and then holds every process it saw to being gone within a deadline. Without the plugin's SIGTERM
handler the SIGTERM case fails: xdist workers die without their finalizers and leave Chrome running.
SIGKILL of the pytest process alone (not its group, which would take Chrome with it) leaves its servers to their
orphan guard and its Chrome and driver to the watchdog process that the browser starts beside them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from nicegui_e2e import processes
from nicegui_e2e.processes import alive
from nicegui_e2e.waiting import wait_for

pytestmark = [pytest.mark.storm, pytest.mark.robustness]  # the suite's own, not a NiceGUI release's
ROOT = Path(__file__).resolve().parent.parent


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


MOMENTS = {
    'server starting': lambda seen: any(is_server(p) for p in seen),
    'mid-storm': lambda seen: any(is_server(p) for p in seen) and any(is_chrome(p) for p in seen),
}




@pytest.mark.parametrize('sig, moment, workers', [
    (signal.SIGINT, 'server starting', '0'),
    (signal.SIGINT, 'mid-storm', '2'),
    (signal.SIGTERM, 'mid-storm', '2'),
    (signal.SIGKILL, 'mid-storm', '0'),
], ids=['SIGINT-server-starting', 'SIGINT-mid-storm-n2', 'SIGTERM-mid-storm-n2', 'SIGKILL-mid-storm'])
def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path, sig: signal.Signals, moment: str,
                                                 workers: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_E2E_'))}
    run = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, '-m', 'pytest', 'e2e/test_navigation_storms.py', '-k', 'lifecycle_intact', '-n', workers,
         '-p', 'no:cacheprovider', f'--nicegui-e2e-artifacts={tmp_path / "artifacts"}'],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    seen: dict[int, psutil.Process] = {}

    def reached() -> bool:
        seen.update((p.pid, p) for p in processes.family(run.pid)[1:])
        return MOMENTS[moment](list(seen.values()))
    try:
        # both moments need a server seen running, so a run that started none cannot pass this test
        wait_for(reached, timeout=120, what=f'the run to reach the moment "{moment}"', interval=0.05)
        if sig == signal.SIGKILL:
            os.kill(run.pid, sig)  # pytest alone: its group would take Chrome with it and prove nothing
        else:
            os.killpg(run.pid, sig)
        output, _ = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    text = output.decode(errors='replace')
    assert run.returncode != 0, text[-2000:]
    try:
        wait_for(lambda: not [p for p in seen.values() if alive(p)], timeout=20,
                 what='every process of the interrupted run to end')
    except TimeoutError:
        left = [(p.pid, ' '.join(p.cmdline())[:80]) for p in seen.values() if alive(p)]
        for process in seen.values():
            if alive(process):
                process.kill()
        pytest.fail(f'left running after {sig.name} at "{moment}": {left}\n{text[-2000:]}')
