"""What a pytest run costs: core-seconds of its whole tree and the peak memory of each xdist worker.

A sampler thread reads the tree with psutil every ``period`` seconds while the run lasts. CPU: the user and
system time each process of the tree had when last seen, summed; ``getrusage(RUSAGE_CHILDREN)`` around the run
counts only what was reaped up the chain to pytest, and misses a Chrome whose chromedriver was killed before
it (init reaps that one), so the larger of the two is taken. Both miss a process that lived and died between
two samples without being reaped by the tree: a lower bound. Memory: a worker is a process pytest started
itself (xdist's workers; pytest alone when it runs without them); its figure is its own resident set, and
beside it the proportional set size (PSS, ``/proc/<pid>/smaps_rollup``) of the worker and everything below it
(servers, chromedriver, Chrome), which counts a page shared by Chrome's processes once, not once per process.
"""

from __future__ import annotations

import resource
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MB = 1024 * 1024


def pss(process: psutil.Process) -> int:
    """Proportional set size in bytes, or the resident set where the kernel offers no rollup."""
    try:
        for line in Path(f'/proc/{process.pid}/smaps_rollup').read_text().splitlines():
            if line.startswith('Pss:'):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return process.memory_info().rss


@dataclass
class Peaks:
    """Peak memory seen per worker pid: its own resident set, and the PSS of its whole tree."""

    own: dict[int, int] = field(default_factory=dict)
    tree: dict[int, int] = field(default_factory=dict)

    def note(self, worker: psutil.Process, below: list[psutil.Process]) -> None:
        total = 0
        for process in [worker, *below]:
            try:
                total += pss(process)
            except psutil.Error:  # ended between listing and reading
                continue
        try:
            own = worker.memory_info().rss
        except psutil.Error:
            return
        self.own[worker.pid] = max(self.own.get(worker.pid, 0), own)
        self.tree[worker.pid] = max(self.tree.get(worker.pid, 0), total)

    def describe(self) -> str:
        """'worker 95 MB (PSS with its servers and browsers 900 MB)' per worker, the largest first."""
        if not self.own:
            return 'no worker sampled'
        order = sorted(self.own, key=self.own.__getitem__, reverse=True)
        return ', '.join(
            f'worker {self.own[pid] / MB:.0f} MB (PSS with its servers and browsers {self.tree[pid] / MB:.0f} MB)'
            for pid in order
        )


class Sampler:
    """Reads CPU and memory of ``pid``'s tree every ``period`` seconds until stopped; without xdist pytest is
    its own worker (and its children are servers and browsers)."""

    def __init__(self, pid: int, *, xdist: bool, period: float = 0.5) -> None:
        self.peaks = Peaks()
        self._cpu: dict[int, float] = {}
        self._pid, self._xdist, self._period = pid, xdist, period
        self._reaped_before = _reaped_core_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name='footprint sampler', daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def core_seconds(self) -> float:
        """CPU of the whole tree (see the module's docstring); read once the run has ended."""
        return max(sum(self._cpu.values()), _reaped_core_seconds() - self._reaped_before)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self._pid)
                everyone = [root, *root.children(recursive=True)]
                workers = root.children() if self._xdist else [root]
            except psutil.Error:  # pytest has ended; the last readings stand
                return
            for process in everyone:
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                self._cpu[process.pid] = times.user + times.system
            for worker in workers:
                try:
                    self.peaks.note(worker, worker.children(recursive=True))
                except psutil.Error:
                    continue
            self._stop.wait(self._period)  # the sampling period, not a wait for anything


def _reaped_core_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
