"""How long the suite's server takes to be ready, against a bare ``python -c "import nicegui"``, side by side.

Every test configuration starts a server, and every xdist worker waits for it; the floor of that wait is the
interpreter importing NiceGUI, which no harness can avoid. This measures how far above the floor we are:
from spawning ``python -m nicegui_e2e.bootstrap`` on ``apps/multipage.py`` (``NiceGUIServer.start()``) until
a real page answered 200, against spawning the same interpreter (this one) to import NiceGUI and exit. The
target is a ratio of at most 1.3x.

How to read it: the main ratio compares the server's readiness with the bare process's exit, as the target
is stated. The bare process also prints a line right after its import; "import done" is that moment, a
stricter floor without the interpreter's tear-down (a few tenths of a second with NiceGUI loaded), which the
server never pays before it is ready. For the server, the wall time is split at the moment it published
``server.json`` (that file's mtime): before it, interpreter start, imports (NiceGUI's included) and
instrumentation, comparable with "import done"; after it, the app's code, ``ui.run()``, uvicorn's start-up,
the first page rendered, and the controller's readiness polls (``server.json`` every 0.05 s, then one request
that waits on the already-listening socket). CPU is the process tree's user plus system time from /proc and
from ``getrusage``; close to the wall time means the start is bound by CPU, not by waiting.

Rounds alternate which side goes first (the 2-core machine is shared and noisy); one untimed warm-up of each
side fills the page cache. Medians over rounds, and the median of the per-round ratios as a check.

    .venv/bin/python benchmarks/server_ready.py --rounds 7
    .venv/bin/python benchmarks/server_ready.py --pycache-prefix /tmp/pyc   # with bytecode caches, both sides

``--pycache-prefix`` is a diagnosis, not the suite's condition: where ``PYTHONDONTWRITEBYTECODE`` is set and
the virtualenv holds no ``.pyc`` files, every start compiles NiceGUI and its dependencies from source; with
the option both sides read compiled code from (and the warm-up writes it to) the given directory instead.
"""

from __future__ import annotations

import argparse
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nicegui_e2e.server import NiceGUIServer, ServerOptions

from common import ROOT, median
from proc_cpu import tree_seconds

APP = ROOT / 'apps' / 'multipage.py'
TARGET = 1.3
SERVER, IMPORT = 'suite server ready', 'bare import nicegui'
IMPORT_CODE = 'import nicegui; print("imported", flush=True)'


@dataclass
class Sample:
    wall: float  # seconds from spawn to ready (server) or to exit (import)
    cpu: float  # core-seconds of the process tree by then
    published: float | None = None  # seconds from spawn to server.json (server only)
    imported: float | None = None  # seconds from spawn to the end of the import (import only)
    cpu_imported: float | None = None  # core-seconds by then (import only)


def start_server(run_dir: Path) -> Sample:
    """Spawn the suite's server and time it until a real page answered 200; end it whatever happens."""
    server = NiceGUIServer(ServerOptions(app=APP, disconnect_fix='on'), run_dir)
    spawned = time.time()
    started = time.perf_counter()
    try:
        server.start()
        wall = time.perf_counter() - started
        cpu = tree_seconds(int(server.info['pid']))
        published = (run_dir / 'server.json').stat().st_mtime - spawned
    finally:
        server.stop()
    return Sample(wall, cpu, published)


def bare_import(timeout: float = 60.0) -> Sample:
    """The same interpreter, in the same working directory, importing NiceGUI and exiting; the line it prints
    after the import marks the moment the import is done, before the interpreter's tear-down."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, '-c', IMPORT_CODE], cwd=APP.parent, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        if not select.select([process.stdout], [], [], timeout)[0] or process.stdout.readline() != b'imported\n':
            raise TimeoutError(f'waited {timeout:g} s for {IMPORT_CODE!r} to print that NiceGUI is imported')
        imported = time.perf_counter() - started
        cpu_imported = tree_seconds(process.pid)
        process.wait(timeout=timeout)
        wall = time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(
        wall,
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        imported=imported,
        cpu_imported=cpu_imported,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=7, help='timed rounds, each side once per round')
    parser.add_argument('--warmup', type=int, default=1, help='untimed rounds first')
    parser.add_argument(
        '--pycache-prefix',
        type=Path,
        default=None,
        help='let both sides cache bytecode in this directory (a diagnosis, see above)',
    )
    args = parser.parse_args()
    if args.pycache_prefix is not None:  # inherited by both sides' processes
        os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
        os.environ['PYTHONPYCACHEPREFIX'] = str(args.pycache_prefix.resolve())
    caching = (
        'bytecode cached in ' + os.environ['PYTHONPYCACHEPREFIX']
        if args.pycache_prefix
        else 'PYTHONDONTWRITEBYTECODE=' + os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')
    )
    print(f'{sys.executable} ({sys.version.split()[0]}), app {APP.relative_to(ROOT)}, {caching}', flush=True)
    samples: dict[str, list[Sample]] = {SERVER: [], IMPORT: []}
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='nicegui-e2e-ready-') as tmp:
        for round_ in range(1 - args.warmup, args.rounds + 1):
            order = (SERVER, IMPORT) if round_ % 2 else (IMPORT, SERVER)
            taken: dict[str, Sample] = {}
            for side in order:
                taken[side] = (
                    start_server(Path(tmp) / f'server-{round_ + args.warmup}') if side == SERVER else bare_import()
                )
            server, bare = taken[SERVER], taken[IMPORT]
            label = f'round {round_}' if round_ > 0 else 'warm-up'
            print(
                f'{label:8s} ({order[0].split()[1]:6s} first): server ready {server.wall:5.2f} s '
                f'(server.json at {server.published:.2f} s), import done {bare.imported:5.2f} s, exited '
                f'{bare.wall:5.2f} s; ratio {server.wall / bare.wall:.2f}x; CPU {server.cpu:.2f} against '
                f'{bare.cpu:.2f} core-s',
                flush=True,
            )
            if round_ > 0:
                for side in order:
                    samples[side].append(taken[side])
    report(samples)
    print(f'took {time.perf_counter() - begun:.0f} s')


def report(samples: dict[str, list[Sample]]) -> None:
    servers, imports = samples[SERVER], samples[IMPORT]

    def med(values: list[float | None]) -> float:
        return median([value for value in values if value is not None]) or float('nan')

    ready, exited, imported = (
        med([s.wall for s in servers]),
        med([b.wall for b in imports]),
        med([b.imported for b in imports]),
    )
    published = med([s.published for s in servers])
    after = med([s.wall - s.published for s in servers if s.published is not None])
    print()
    print('| side | moment | median wall s | median CPU core-s | rounds |')
    print('|---|---|---|---|---|')
    print(f'| {SERVER} | a page answered 200 | {ready:.2f} | {med([s.cpu for s in servers]):.2f} | {len(servers)} |')
    print(f'| {IMPORT} | process exited | {exited:.2f} | {med([b.cpu for b in imports]):.2f} | {len(imports)} |')
    print(
        f'| {IMPORT} | import done, before tear-down | {imported:.2f} | '
        f'{med([b.cpu_imported for b in imports]):.2f} | {len(imports)} |'
    )
    print()
    verdict = 'met' if ready / exited <= TARGET else 'NOT met'
    print(
        f'server ready / bare import exited: {ready / exited:.2f}x (median of per-round ratios '
        f'{med([s.wall / b.wall for s, b in zip(servers, imports)]):.2f}x); target <= {TARGET}x: {verdict}'
    )
    print(
        f'server ready / bare import done (stricter floor, no tear-down): {ready / imported:.2f}x (per-round '
        f'{med([s.wall / b.imported for s, b in zip(servers, imports) if b.imported]):.2f}x)'
    )
    cpu = med([s.cpu for s in servers])
    print(
        f'CPU: server by ready / bare import exited {cpu / med([b.cpu for b in imports]):.2f}x, / bare import '
        f'done {cpu / med([b.cpu_imported for b in imports]):.2f}x'
    )
    print(
        f'server, median split: {published:.2f} s spawn to server.json (interpreter, imports, instrumentation: '
        f'{published - imported:+.2f} s against the bare import), {after:.2f} s server.json'
        f' to ready (app, ui.run, uvicorn, first page, readiness polls)'
    )


if __name__ == '__main__':
    main()
