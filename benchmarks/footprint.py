"""What a pytest run costs: core-seconds of its whole tree and the peak memory of each xdist worker.

CPU comes from ``getrusage(RUSAGE_CHILDREN)`` around the run: the kernel adds a process's time to its parent's
children total when the parent reaps it, so once pytest has been reaped the difference holds pytest, its
workers, the servers and browsers they started, all of them. Memory cannot be read after the fact, so a
sampler thread reads the tree with psutil every ``period`` seconds while the run lasts. A worker is a process
pytest started itself (xdist's workers; pytest alone when it runs without them); its figure is its own resident
set, and beside it the resident sets of everything below it summed (servers, chromedriver, Chrome), which counts
pages shared between Chrome's processes once per process and so overstates what the tree holds.
"""
from __future__ import annotations

import resource
import threading
from dataclasses import dataclass, field

import psutil

MB = 1024 * 1024


@dataclass
class Peaks:
    """Peak resident sets seen per worker pid: the worker alone, and the worker with everything below it."""

    own: dict[int, int] = field(default_factory=dict)
    tree: dict[int, int] = field(default_factory=dict)

    def note(self, worker: psutil.Process) -> None:
        try:
            own = worker.memory_info().rss
            below = worker.children(recursive=True)
        except psutil.Error:  # the worker ended between listing and reading
            return
        total = own
        for process in below:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        self.own[worker.pid] = max(self.own.get(worker.pid, 0), own)
        self.tree[worker.pid] = max(self.tree.get(worker.pid, 0), total)

    def describe(self) -> str:
        """'worker 180 MB (with its servers and browsers 950 MB)' per worker, the largest first."""
        if not self.own:
            return 'no worker sampled'
        order = sorted(self.own, key=self.own.__getitem__, reverse=True)
        return ', '.join(f'worker {self.own[pid] / MB:.0f} MB (with its servers and browsers '
                         f'{self.tree[pid] / MB:.0f} MB)' for pid in order)


class Sampler:
    """Reads the resident sets of ``pid``'s workers every ``period`` seconds until stopped; without xdist pytest
    is its own worker (and its children are servers and browsers)."""

    def __init__(self, pid: int, *, xdist: bool, period: float = 0.5) -> None:
        self.peaks = Peaks()
        self._pid, self._xdist, self._period = pid, xdist, period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name='footprint sampler', daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self._pid)
                workers = root.children() if self._xdist else [root]
            except psutil.Error:  # pytest has ended; the last readings stand
                return
            for worker in workers:
                self.peaks.note(worker)
            self._stop.wait(self._period)  # the sampling period, not a wait for anything


def children_core_seconds() -> float:
    """User and system time of every reaped descendant so far; the difference around a run is its cost."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
