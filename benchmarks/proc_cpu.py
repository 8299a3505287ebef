"""CPU time of process trees, read from /proc (Linux): what a benchmark charges to the processes it started.

``/proc/<pid>/stat`` holds a process's user and system time (all its threads) and the time of the children
it has reaped. Summing both over a tree at two moments and taking the difference charges the interval with
everything the tree did in it, including processes that were born and ended in between (a renderer that
Chrome replaced, say), as long as a member of the tree reaped them. The resolution is one clock tick
(10 ms at the usual 100 Hz) per process and reading.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf('SC_CLK_TCK')


def _fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name: [0] state, [1] ppid, [11] utime, [12] stime,
    [13] cutime, [14] cstime."""
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None


def tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            fields = _fields(entry.name)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [root], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_seconds(root: int) -> float:
    """Core-seconds spent so far by ``root``'s tree, reaped children included."""
    total = 0
    for pid in tree(root):
        fields = _fields(pid)
        if fields:
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def own_seconds() -> float:
    """Core-seconds spent so far by this process itself (all threads), without its children: the servers and
    drivers it started are charged through their own trees."""
    fields = _fields('self')
    return sum(int(value) for value in fields[11:13]) / TICKS if fields else 0.0


def machine_busy_seconds() -> float:
    """Core-seconds the whole machine has spent busy since boot, other tenants included (as browser_cost.py)."""
    fields = [int(value) for value in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS  # without idle and iowait
