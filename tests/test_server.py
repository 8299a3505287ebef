"""Server control without a browser: readiness, one-line errors for bad input, nothing left running."""

import os
import socket
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from nicegui_e2e.server import NiceGUIServer, ServerError, ServerOptions
from nicegui_e2e.waiting import wait_for
from nicegui_e2e.wire import PRUNE_PERIOD, BootSettings

APP = Path(__file__).resolve().parent.parent / 'apps' / 'multipage.py'


def start(tmp_path, app, **options):
    return NiceGUIServer(ServerOptions(app=app, startup_timeout=30, **options), tmp_path / 'run').start()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'


def test_server_binds_loopback_answers_and_is_gone_after_stop(tmp_path):
    server = start(tmp_path, APP)
    try:
        assert server.info['host'] == '127.0.0.1' and server.info['port'] > 0
        with urllib.request.urlopen(server.url('/b'), timeout=5) as response:
            assert response.status == 200
        diagnostics = server.diagnostics()
        assert diagnostics['race_hits'] == 0 and 'clients' in diagnostics
        assert server.info['fix'] in ('guard applied', 'upstream guard present', 'not applicable')
    finally:
        server.stop()
    assert not alive(server.info['pid'])


def test_missing_app_file_is_one_line(tmp_path):
    with pytest.raises(ServerError, match=r'^app file not found: .*nope\.py$'):
        start(tmp_path, tmp_path / 'nope.py')


def test_app_failing_on_import_names_its_exception(tmp_path):
    app = tmp_path / 'broken.py'
    app.write_text('from nicegui import ui\nraise RuntimeError("no database")\n')
    with pytest.raises(ServerError) as error:
        start(tmp_path, app)
    assert str(error.value) == f'app {app} failed: RuntimeError: no database'


def test_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match=rf'^cannot bind 127\.0\.0\.1:{port}: Address already in use$'):
            start(tmp_path, APP, port=port)


def test_app_without_ui_run_is_served(tmp_path):
    app = tmp_path / 'pages_only.py'
    app.write_text('from nicegui import ui\n\n@ui.page("/")\ndef index():\n    ui.label("hi")\n')
    server = start(tmp_path, app)
    server.stop()
    assert not alive(server.info['pid'])


def test_browsers_may_use_another_address_while_the_test_process_keeps_loopback(tmp_path):
    server = start(tmp_path, APP, address='localhost')
    try:
        assert server.base_url == f'http://localhost:{server.info["port"]}'
        assert server.url('/b') == f'http://127.0.0.1:{server.info["port"]}/b'
        assert server.diagnostics()['race_hits'] == 0
    finally:
        server.stop()


def test_the_server_is_told_its_options_and_equal_options_are_one_key(tmp_path):
    chosen = dict(
        app=Path('apps/multipage.py'),
        disconnect_fix='bug',
        handshake_delay=0.5,
        disconnect_delay=2.0,
        reconnect_timeout=4.0,
        module='pkg.web',
        attribute='api',
        address='example.test',
        startup_timeout=9,
    )
    options = ServerOptions(**chosen)
    boot = BootSettings.from_env(options.boot(tmp_path / 'run').to_env())
    assert boot == BootSettings(
        app=str(Path('apps/multipage.py').resolve()),
        run_dir=str((tmp_path / 'run').resolve()),
        host='127.0.0.1',
        port=0,
        disconnect_fix='bug',
        handshake_delay=0.5,
        disconnect_delay=2.0,
        reconnect_timeout=4.0,
        parent=os.getpid(),
        module='pkg.web',
        attribute='api',
    )
    same = ServerOptions(**chosen)  # equal options made apart are one key
    assert {options: 1}[same] == 1 and replace(same, disconnect_delay=0.0) not in {options: 1}


def test_nicegui_s_own_prune_deletes_the_aged_clients_on_its_own_schedule(tmp_path):
    """A page loaded and never connected: aged by the server, then deleted by NiceGUI's prune timer within its
    shortened period, counted as a run that started after the aging."""
    server = start(tmp_path, APP)
    try:
        with urllib.request.urlopen(server.url('/b'), timeout=5) as response:
            assert response.status == 200
        page = [c['id'] for c in server.diagnostics()['clients'] if not c['shared']]
        aged = server.prune(since=0)
        assert aged['how'] == 'timer' and aged['aged'] >= 1 and aged['runs'] is not None
        assert wait_for(
            lambda: server.diagnostics()['prune_runs'] > aged['runs'],
            timeout=PRUNE_PERIOD + 5,
            what="a run of NiceGUI's prune timer",
        )
        assert not [c for c in server.diagnostics()['clients'] if c['id'] in page]
    finally:
        server.stop()
