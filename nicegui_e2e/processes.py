"""Ending the processes the suite started, with everything they started in turn.

psutil reads process trees the same way on Linux and macOS; the server also runs in a session of its own, so
a process group signal reaches helpers that left the tree (a daemonised child is re-parented to init).
"""
from __future__ import annotations

import os
import signal

import psutil


def family(pid: int) -> list[psutil.Process]:
    """``pid`` and all its descendants that are alive now (empty if ``pid`` is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def wait_then_kill(processes: list[psutil.Process], grace: float) -> None:
    """Give ``processes`` ``grace`` seconds to exit by themselves (their parent was told to quit), then kill."""
    _, alive = psutil.wait_procs(processes, timeout=grace)
    kill(alive)


def kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=5)


def end_group(leader: int, grace: float) -> None:
    """End the session ``leader`` started: the group politely, then its tree and the group for sure."""
    members = family(leader)
    _signal_group(leader, signal.SIGTERM)
    _, alive = psutil.wait_procs(members, timeout=grace)
    _signal_group(leader, signal.SIGKILL)
    kill(alive)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
