"""Start, watch and stop one NiceGUI server process running an app under :mod:`nicegui_e2e.bootstrap`.

Knows nothing of browsers. The process binds its own port (0 means "any free one"), so parallel xdist
workers never race for a port; the controller learns it from ``server.json``, then waits for a real page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import processes
from .records import read_records
from .waiting import WaitTimeout, wait_for
from .wire import DIAGNOSTICS_PATH, ENV, PRUNE_PATH, BootSettings, Diagnostics, Mode, Pruned, ServerInfo

BYTECODE_CACHE = Path(tempfile.gettempdir()) / f'nicegui-e2e-pyc-{os.getuid()}'
"""Where the servers keep NiceGUI's compiled bytecode when the environment forbids writing it beside the source."""
WILDCARDS = {'0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1'}
"""A server bound to every address is reached over loopback by the test process."""


class ServerError(RuntimeError):
    """The server could not be started or ended; the message is one line a user can act on."""


@dataclass(frozen=True)
class ServerOptions:
    """How to run the app: everything the bootstrap needs, plus the controller's own deadlines. Frozen, so that
    equal options name one server (the plugin keeps its servers by them)."""

    app: Path
    host: str = '127.0.0.1'
    address: str = ''  # the host browsers use to reach the server, where it is not ``host`` (browsers elsewhere)
    port: int = 0
    disconnect_fix: Mode = 'on'
    handshake_delay: float = 0.0
    disconnect_delay: float = 0.0
    reconnect_timeout: float | None = None
    ready_path: str = ''  # '' means the first page the app registers
    module: str = ''  # 'pkg.web' with attribute 'api': the app is ``pkg.web:api``, an ASGI app using ui.run_with
    attribute: str = ''
    startup_timeout: float = 30.0
    python: str = field(default_factory=lambda: sys.executable)

    def boot(self, run_dir: Path) -> BootSettings:
        """What the server process is told: each option the bootstrap shares by name, the app and ``run_dir`` as
        absolute paths, and this process as its parent."""
        shared = {f.name for f in fields(BootSettings)} & {f.name for f in fields(self)}
        told = {name: getattr(self, name) for name in shared}
        return BootSettings(
            **{**told, 'app': str(self.app.resolve()), 'run_dir': str(run_dir.resolve()), 'parent': os.getpid()}
        )


class NiceGUIServer:
    """One server process and its files: ``stdout.log``, ``stderr.log``, ``records.jsonl``, ``server.json``."""

    def __init__(self, options: ServerOptions, run_dir: Path) -> None:
        self.options = options
        self.run_dir = run_dir
        self._info: ServerInfo | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def info(self) -> ServerInfo:
        """What the server published about itself once it bound its port."""
        if self._info is None:
            raise ServerError(f'the server for {self.options.app.name} has not published its address yet')
        return self._info

    @property
    def base_url(self) -> str:
        """Where the browsers reach the app: under the address named for them (a browser on a Grid elsewhere),
        else where the test process does."""
        return self._origin(self.options.address or self._local_host()) + self.info['prefix']

    def url(self, path: str = '/') -> str:
        """Where the test process reaches ``path``: always the bound address, loopback for a wildcard bind, since
        the diagnostics answer loopback callers only."""
        return self._origin(self._local_host()) + self.info['prefix'] + path

    def _local_host(self) -> str:
        return WILDCARDS.get(self.info['host'], self.info['host'])

    def _origin(self, host: str) -> str:
        return f'http://{f"[{host}]" if ":" in host else host}:{self.info["port"]}'

    def start(self) -> NiceGUIServer:
        if not self.options.app.is_file():
            raise ServerError(f'app file not found: {self.options.app}')
        self.run_dir.mkdir(parents=True, exist_ok=True)
        settings = self.options.boot(self.run_dir)
        # NiceGUI switches to its own test mode when it sees pytest's variables; this server is a real one
        env = {key: value for key, value in os.environ.items() if not key.startswith('PYTEST_')}
        env.update({ENV: settings.to_env(), 'PYTHONUNBUFFERED': '1'})
        if env.pop('PYTHONDONTWRITEBYTECODE', None):
            # without bytecode every server compiles NiceGUI anew, 2 to 3 times its start (benchmarks/
            # server_ready.py); the bytecode goes to a cache of the suite's own, never into the user's tree
            env.setdefault('PYTHONPYCACHEPREFIX', str(BYTECODE_CACHE))
        with open(self.run_dir / 'stdout.log', 'ab') as out, open(self.run_dir / 'stderr.log', 'ab') as err:
            self._process = subprocess.Popen(
                [self.options.python, '-m', 'nicegui_e2e.bootstrap'],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.options.app.parent,
                start_new_session=True,
            )
        try:
            self._info = self._wait(self._published, f'{self.options.app.name} to bind its port')
            (pages,) = self._wait(self._serving, f'{self.options.app.name} to start serving')
            path = self.options.ready_path or (pages[0] if pages else '')
            if path:
                self._wait(lambda: self._answers(path), f'{self.url(path)} to answer 200')
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, condition: Any, what: str) -> Any:
        def ready_or_dead() -> Any:
            if self._process is not None and self._process.poll() is not None:
                raise ServerError(self._death_message(self._process.returncode))
            return condition()

        try:
            return wait_for(ready_or_dead, timeout=self.options.startup_timeout, what=what, interval=0.05)
        except WaitTimeout as error:
            raise ServerError(f'server not ready: {error}; last log lines: {self.log_tail()}') from None

    def _published(self) -> ServerInfo | None:
        path = self.run_dir / 'server.json'
        return json.loads(path.read_text(encoding='utf-8')) if path.exists() else None

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(path), timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def _serving(self) -> tuple[list[str]] | None:
        """The app's pages once its server answers (the diagnostics route exists from the start), in a tuple
        that is true even where the app registers no page."""
        try:
            return (self.pages(),)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def _death_message(self, code: int) -> str:
        said = [line for line in self.stderr().splitlines() if line.startswith('nicegui-e2e: ')]
        if said:
            return said[-1].removeprefix('nicegui-e2e: ')
        return (
            f'server for {self.options.app.name} exited with code {code} before it was ready; '
            f'last log lines: {self.log_tail()}'
        )

    def stdout(self) -> str:
        return _read(self.run_dir / 'stdout.log')

    def stderr(self) -> str:
        return _read(self.run_dir / 'stderr.log')

    def raw_log(self) -> str:
        """All the server printed, stdout then stderr; each stream keeps its own order."""
        return self.stdout() + self.stderr()

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.run_dir / 'records.jsonl')

    def log_tail(self, lines: int = 5) -> str:
        tail = [line for line in self.stderr().splitlines() if line.strip()][-lines:]
        return ' | '.join(tail) or '(nothing on stderr)'

    def diagnostics(self, since: int = 0, *, collect: bool = False) -> Diagnostics:
        """The server's state and its events since ``since``; with ``collect``, read after a garbage collection."""
        query = f'since={since}' + ('&collect=true' if collect else '')
        with urllib.request.urlopen(f'{self.url(DIAGNOSTICS_PATH)}?{query}', timeout=10) as response:
            return json.loads(response.read())

    def prune(self, since: float) -> Pruned:
        """Age the clients created since ``since`` past NiceGUI's prune threshold, for NiceGUI's own prune."""
        request = urllib.request.Request(f'{self.url(PRUNE_PATH)}?since={since}', method='POST')
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def pages(self) -> list[str]:
        """The app's pages a storm visits unless told otherwise, as the server found them after the app loaded."""
        return self.diagnostics(since=1 << 30)['pages']

    def trouble(self) -> str:
        """'' while the server process runs; else one line: what happened to it, and its last words."""
        if self._process is None:
            return 'the NiceGUI server was stopped'
        end = processes.describe_end(self._process.pid, self._process.poll())
        if not end:
            return ''
        return f'the NiceGUI server (pid {self._process.pid}) {end}; last log lines: {self.log_tail(3)}'

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """End the whole process group: politely, then for sure."""
        process, self._process = self._process, None
        if process is None:
            return
        processes.end_group(process.pid, grace)
        process.poll()  # the Popen object learns that its child is gone

    def __enter__(self) -> NiceGUIServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _read(path: Path) -> str:
    return path.read_text(encoding='utf-8', errors='replace') if path.exists() else ''
