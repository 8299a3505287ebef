"""Ends Chrome and its driver when the test process that started them is gone without a word (SIGKILL).

``python -m nicegui_e2e.watchdog OWNER PID... URL...`` polls twice a second. When OWNER is gone it kills each
PID and everything below it, and deletes each WebDriver session URL (a browser on a Selenium Grid, which the
Grid would otherwise keep until its session timeout); when every PID is gone by itself (the browser quit as it
should), it exits; one watching sessions only is killed by its owner at quit. Servers need
no watchdog: each runs a guard thread of its own (:mod:`nicegui_e2e.bootstrap`). Chrome has no such thread, and
a driver whose parent died is re-parented and keeps Chrome alive, so they get this separate process, which
belongs to neither the test process nor the browser and outlives a kill of either.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence

import psutil

from . import processes

POLL = 0.5


def watch(owner: int, pids: list[int], sessions: Sequence[str] = ()) -> None:
    watched = []
    for pid in pids:
        try:
            watched.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    try:
        parent = psutil.Process(owner)
    except psutil.NoSuchProcess:
        parent = None
    while sessions or any(processes.alive(p) for p in watched):
        if parent is None or not processes.alive(parent):
            for session in sessions:
                _delete(session)
            family = [child for p in watched if processes.alive(p) for child in processes.family(p.pid)]
            for process in family:
                try:
                    process.kill()
                except psutil.Error:
                    pass
            return
        time.sleep(POLL)  # a watchdog's poll interval, not a synchronisation


def _delete(session: str) -> None:
    try:
        urllib.request.urlopen(urllib.request.Request(session, method='DELETE'), timeout=30).close()
    except OSError:
        pass  # the Grid is gone too, and its sessions with it


def guard(pids: list[int], sessions: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """Start a watchdog over ``pids`` and remote ``sessions`` for this process, in a session of its own (a kill
    of this process's group must not take the watchdog with it)."""
    return subprocess.Popen(
        [sys.executable, '-m', 'nicegui_e2e.watchdog', str(psutil.Process().pid), *map(str, pids), *sessions],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


if __name__ == '__main__':
    watch(
        int(sys.argv[1]),
        [int(arg) for arg in sys.argv[2:] if arg.isdigit()],
        [arg for arg in sys.argv[2:] if not arg.isdigit()],
    )
