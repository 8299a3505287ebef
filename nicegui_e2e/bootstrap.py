"""Entry point of the server process: instrument NiceGUI, then run the app file as ``__main__``.

``python -m nicegui_e2e.bootstrap`` reads its settings from the ``NICEGUI_E2E_SERVER`` environment variable
(:class:`nicegui_e2e.wire.BootSettings`, written by :mod:`nicegui_e2e.server`). Order matters: the socket is
bound and the handlers are wrapped before the app's code runs, so the app's ``ui.run()`` starts an
already-instrumented server on a port nobody else can take in between.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import runpy
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, NoReturn

from . import disconnect
from .instrument import Ledger, count_prunes, diagnostics_endpoint, instrument, prune_endpoint
from .records import JsonLinesHandler, LastResortEcho
from .wire import DIAGNOSTICS_PATH, ENV, MODES, PRUNE_PATH, BootSettings, ServerInfo

# exit codes the controller turns into one clear line each
EXIT_BAD_SETTINGS = 64
EXIT_PORT_IN_USE = 65
EXIT_APP_IMPORT = 66


def fail(code: int, message: str) -> NoReturn:
    """One line on stderr, where the controller reads it, then exit without a traceback."""
    print(f'nicegui-e2e: {message}', file=sys.stderr, flush=True)
    sys.exit(code)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        fail(EXIT_PORT_IN_USE, f'cannot bind {host}:{port}: {error.strerror}')
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _publish(run_dir: Path, name: str, data: ServerInfo) -> None:
    """Write atomically, so the controller never reads half a file."""
    tmp = run_dir / f'.{name}.tmp'
    tmp.write_text(json.dumps(data), encoding='utf-8')
    tmp.replace(run_dir / name)


def _watch_parent(parent: int) -> None:
    """End this server when the process that started it is gone, even if it was killed without a word.

    A watchdog that looks twice a second, not ``PR_SET_PDEATHSIG``: that signal follows the thread that
    started the server, so a server started from a helper thread would die with the thread. The parent's pid
    comes from the controller, not from ``getppid()`` here: a parent killed while this process was still
    importing would otherwise leave init as the parent to watch, and the server running for good."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        os._exit(1)

    threading.Thread(target=watch, name='nicegui-e2e-orphan-guard', daemon=True).start()


def _setup_logging(run_dir: Path) -> None:
    handler = JsonLinesHandler(run_dir / 'records.jsonl')
    logging.getLogger().addHandler(handler)
    logging.getLogger().addHandler(LastResortEcho(handler))
    ours = logging.getLogger('nicegui_e2e')
    ours.setLevel(logging.INFO)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
    ours.addHandler(stream)
    # uvicorn's own loggers do not propagate to the root; give them the structured handler too
    # ('uvicorn.error' propagates to 'uvicorn', so a handler there as well would write its records twice)
    for name in ('uvicorn', 'uvicorn.access'):
        logging.getLogger(name).addHandler(handler)
    _keep_handler_after_uvicorn_config(handler)


def _keep_handler_after_uvicorn_config(handler: logging.Handler) -> None:
    """uvicorn's ``dictConfig`` replaces the handlers of its loggers; add ours back once it has run."""
    import uvicorn.config

    original = uvicorn.config.Config.configure_logging

    def configure_logging(self: Any) -> None:
        original(self)
        for name in ('uvicorn', 'uvicorn.access'):
            logger = logging.getLogger(name)
            if handler not in logger.handlers:
                logger.addHandler(handler)

    uvicorn.config.Config.configure_logging = configure_logging  # type: ignore[method-assign]  # wrapped on purpose


def _read_settings() -> BootSettings:
    """The controller's settings, checked; a bad one ends the process with one line."""
    try:
        settings = BootSettings.from_env(os.environ[ENV])
    except (KeyError, TypeError, ValueError) as error:
        fail(EXIT_BAD_SETTINGS, f'bad or missing {ENV}: {error}')
    app_path = Path(settings.app)
    if not app_path.is_file():
        fail(EXIT_BAD_SETTINGS, f'app file not found: {app_path}')
    if settings.disconnect_fix not in MODES:
        fail(EXIT_BAD_SETTINGS, f'disconnect_fix must be one of {", ".join(MODES)}, not {settings.disconnect_fix!r}')
    return settings


def _serve_mounted(settings: BootSettings, app_path: Path, sock: socket.socket, publish: Callable[[str], None]) -> None:
    """An app that mounts NiceGUI on its own ASGI app (``ui.run_with``), named ``module:attribute``: import the
    module as its package would be imported, learn where NiceGUI is mounted, and serve the app on our socket."""
    import uvicorn
    from nicegui import ui

    mounted = {'prefix': ''}
    original_run_with = ui.run_with

    def run_with(app: Any, *args: Any, **kwargs: Any) -> Any:
        mounted['prefix'] = str(kwargs.get('mount_path', '/')).rstrip('/')
        if settings.reconnect_timeout is not None:
            kwargs['reconnect_timeout'] = settings.reconnect_timeout
        return original_run_with(app, *args, **kwargs)

    ui.run_with = run_with
    package_depth = settings.module.count('.') + (app_path.name == '__init__.py')
    sys.path.insert(0, str(app_path.resolve().parents[package_depth]))
    try:
        asgi = getattr(importlib.import_module(settings.module), settings.attribute)
    except BaseException as error:
        logging.getLogger('nicegui_e2e').exception('app %s:%s failed', settings.module, settings.attribute)
        fail(EXIT_APP_IMPORT, f'app {settings.module}:{settings.attribute} failed: {type(error).__name__}: {error}')
    publish(mounted['prefix'])
    config = uvicorn.Config(asgi, host=settings.host, log_level='warning', lifespan='on')
    uvicorn.Server(config).run(sockets=[sock])


def _run_script(app_path: Path, ui: Any, started: dict[str, bool]) -> None:
    """Run the app file as ``__main__``, as ``python main.py`` would; a file that only defines pages gets
    its ``ui.run()`` here."""
    sys.argv = [str(app_path)]
    sys.path.insert(0, str(app_path.parent.resolve()))
    try:
        runpy.run_path(str(app_path), run_name='__main__')
    except SystemExit:
        raise
    except BaseException as error:
        logging.getLogger('nicegui_e2e').exception('app %s failed', app_path)
        fail(EXIT_APP_IMPORT, f'app {app_path} failed: {type(error).__name__}: {error}')
    if not started['done']:
        ui.run()  # an app module that only defines pages


def main() -> None:
    settings = _read_settings()
    app_path = Path(settings.app)
    run_dir = Path(settings.run_dir)
    _watch_parent(settings.parent or os.getppid())
    _setup_logging(run_dir)
    sock = _bind(settings.host, settings.port)
    port = sock.getsockname()[1]

    import nicegui
    from nicegui import core, ui
    from nicegui import nicegui as nicegui_module
    from nicegui import server as server_module
    from nicegui.client import Client

    fix = disconnect.install(Client, settings.disconnect_fix, nicegui.__version__)
    tracks = disconnect.tracks_sockets(Client)
    ledger = Ledger()
    legacy_route = None
    if settings.disconnect_fix == 'bug' and tracks:
        legacy_route = disconnect.dispatch_by_query(core.sio.get_environ, Client.instances)
    instrument(
        ledger,
        client_cls=Client,
        sio=core.sio,
        nicegui_module=nicegui_module,
        handshake_delay=settings.handshake_delay,
        disconnect_delay=settings.disconnect_delay,
        tracks_sockets=tracks,
        disconnect_route=legacy_route,
    )

    endpoint = diagnostics_endpoint(ledger, client_cls=Client, sio=core.sio, core=core)
    core.app.add_api_route(DIAGNOSTICS_PATH, endpoint, methods=['GET'], include_in_schema=False)
    schedule = count_prunes(ledger, client_cls=Client, app=core.app)
    core.app.add_api_route(
        PRUNE_PATH, prune_endpoint(ledger, Client, schedule), methods=['POST'], include_in_schema=False
    )

    started = {'done': False}
    original_server_run = server_module.Server.run
    original_ui_run = ui.run

    def server_run(self: Any, sockets: Any = None) -> None:
        original_server_run(self, sockets=sockets or [sock])

    def ui_run(*args: Any, **kwargs: Any) -> None:
        started['done'] = True
        kwargs.update(host=settings.host, port=port, reload=False, show=False)
        if settings.reconnect_timeout is not None:
            kwargs['reconnect_timeout'] = settings.reconnect_timeout
        original_ui_run(*args, **kwargs)

    server_module.Server.run = server_run  # type: ignore[method-assign]  # serve on the socket bound above
    ui.run = ui_run

    def publish(prefix: str = '') -> None:
        _publish(
            run_dir,
            'server.json',
            ServerInfo(
                pid=os.getpid(),
                host=settings.host,
                port=port,
                nicegui=nicegui.__version__,
                python=sys.version.split()[0],
                disconnect_fix=settings.disconnect_fix,
                guard=fix.guard,
                fix=fix.words,
                lost_guard=fix.lost_guard,
                tracks_sockets=tracks,
                bug_present=disconnect.bug_present(Client),
                handshake_delay=settings.handshake_delay,
                prefix=prefix,
            ),
        )
        logging.getLogger('nicegui_e2e').info(
            'NiceGUI %s on %s:%d%s, disconnect fix: %s', nicegui.__version__, settings.host, port, prefix, fix.words
        )

    if settings.attribute:
        _serve_mounted(settings, app_path, sock, publish)
        return
    publish()
    _run_script(app_path, ui, started)


if __name__ == '__main__':
    main()
