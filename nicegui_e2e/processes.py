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
    except psutil.Error:  # gone, or a zombie, in between
        return []


def wait_then_kill(processes: list[psutil.Process], grace: float) -> None:
    """Give ``processes`` ``grace`` seconds to exit by themselves (their parent was told to quit), then kill."""
    _, alive = psutil.wait_procs(processes, timeout=grace)
    kill(alive)


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie (a zombie has ended; only its parent has not read its status yet)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def first_child(pid: int) -> psutil.Process | None:
    try:
        return next(iter(psutil.Process(pid).children()), None)
    except psutil.NoSuchProcess:
        return None


def describe_end(pid: int, returncode: int | None) -> str:
    """How a process ended or hangs, in words: 'was killed by SIGKILL', 'exited with code 1', 'is stopped
    (SIGSTOP) and answers nothing', or '' while it runs."""
    if returncode is not None:
        if returncode < 0:
            return f'was killed by {signal.Signals(-returncode).name}'
        return f'exited with code {returncode}'
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return 'is gone'
    if status == psutil.STATUS_ZOMBIE:
        return 'is gone'
    if status == psutil.STATUS_STOPPED:
        return 'is stopped (SIGSTOP) and answers nothing'
    return ''


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
    _signal_group(leader, signal.SIGCONT)  # a stopped server handles its SIGTERM only once it runs again
    _, alive = psutil.wait_procs(members, timeout=grace)
    _signal_group(leader, signal.SIGKILL)
    kill(alive)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
