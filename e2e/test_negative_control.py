"""The detector must fire on the real bug, in every run, or a green suite means nothing (the negative control
itself is in ``nicegui_e2e.suite``, so that it runs on every app); and ``on`` must not hide a lost guard."""

import os
from importlib.metadata import version

import pytest
from packaging.version import Version

nicegui_version = version('nicegui')  # the number, without importing NiceGUI into every xdist worker

pytestmark = pytest.mark.storm


GUARDLESS_BUILD = '''
"""Loaded at interpreter start (sitecustomize): NiceGUI as a release that lost its #4304 guard would be."""
from nicegui.client import Client

_shipped = Client.handle_disconnect


def handle_disconnect(self, socket_id):
    self._socket_to_document_id[socket_id]  # looks the socket up before asking whether it was ever mapped
    return _shipped(self, socket_id)


Client.handle_disconnect = handle_disconnect
'''


def test_on_fails_a_release_that_lost_its_guard(
    nicegui_storm, nicegui_server_factory, nicegui_e2e_app, tmp_path, monkeypatch
):
    """``on`` applies the suite's guard so the storm can run, and still fails: hiding the regression would
    make a green run on a broken release."""
    if Version(nicegui_version) < Version('2.11.1'):
        pytest.skip(f'NiceGUI {nicegui_version} predates the upstream guard: there is none to lose')
    build = tmp_path / 'guardless'
    build.mkdir()
    (build / 'sitecustomize.py').write_text(GUARDLESS_BUILD)
    app = tmp_path / nicegui_e2e_app.name  # its own server: the key of the factory's cache is the app
    app.write_text(nicegui_e2e_app.read_text())
    for sibling in nicegui_e2e_app.parent.glob('*.py'):
        if sibling != nicegui_e2e_app:
            (tmp_path / sibling.name).write_text(sibling.read_text())
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(filter(None, [str(build), os.environ.get('PYTHONPATH')])))
    server = nicegui_server_factory(app, disconnect_fix='on')
    assert (server.info['guard'], server.info['lost_guard']) == ('applied', True), server.info['fix']
    report = nicegui_storm('get', server=server, count=5)
    assert report.evidence.keyerrors == 0, 'the suite guard let the storm run'
    with pytest.raises(AssertionError, match='NiceGUI lost its #4304 guard'):
        report.check()
