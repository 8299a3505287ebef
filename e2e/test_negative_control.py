"""The detector must fire on the real bug, in every run, or a green suite means nothing."""
from importlib.metadata import version

import pytest

nicegui_version = version('nicegui')  # the number, without importing NiceGUI into every xdist worker

pytestmark = pytest.mark.storm


def test_detector_fires_without_the_fix(nicegui_storm, nicegui_server_factory):
    """2.11.0 as shipped, or the pre-2.11.1 behaviour put back on any other version. The one test whose
    point is the detector firing: it says so with ``expect_4304``, which fails if #4304 did not show."""
    mode = 'off' if nicegui_version == '2.11.0' else 'bug'
    server = nicegui_server_factory(disconnect_fix=mode)
    if not server.info['tracks_sockets']:
        pytest.skip(f'NiceGUI {nicegui_version} keeps no per-socket mapping: #4304 cannot exist')
    report = nicegui_storm('get', server=server, count=10)
    assert server.info['bug_present'], server.info['fix']
    assert report.evidence.race_hits, 'the storm never hit the race, so it cannot show the detector'
    assert len(report.evidence.judged.issue_4304) >= 1, 'the structured records missed #4304'
    assert report.evidence.keyerrors_raw >= 1, 'the raw log missed #4304'
    report.expect_4304()
