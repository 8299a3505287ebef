"""A crowd: several browsers storm one server at the same time, each with its own seed, judged as one storm,
with every race hit and every error of the disconnect handler attributed to the browser that caused it."""

import pytest

CROWD = 4


@pytest.fixture
def server(nicegui_server_factory, request):
    """The crowd's server (with the pre-2.11.1 lookup put back where a test asks); none where NiceGUI keeps no
    per-socket mapping (before 2.11): there is no race to hit and no KeyError to attribute."""
    made = nicegui_server_factory(**getattr(request, 'param', {}))
    if not made.info['tracks_sockets']:
        pytest.skip(f'NiceGUI {made.info["nicegui"]} keeps no per-socket mapping: no race for a crowd to hit')
    return made


@pytest.mark.storm
def test_a_crowd_storms_one_server_and_each_browser_hits_the_race(nicegui_storm, server):
    report = nicegui_storm('get', count=10, crowd=CROWD, server=server)
    lanes = report.evidence.lanes  # fewer than asked where a Grid has fewer sessions free (the notes say why)
    assert [lane.browser for lane in lanes] == list(range(1, len(lanes) + 1)) and len(lanes) >= 2
    assert all(lane.navigations == 10 and lane.race_hits > 0 for lane in lanes), report.verdict.notes
    assert sum(lane.race_hits for lane in lanes) == report.evidence.race_hits
    assert report.line.startswith(f'crowd of {len(lanes)}: get')
    report.check()


@pytest.mark.storm
@pytest.mark.parametrize('server', [{'disconnect_fix': 'bug'}], indirect=True, ids=['bug'])
def test_every_keyerror_of_a_crowd_is_attributed_to_a_browser_and_navigation(nicegui_storm, server):
    """The negative control of the attribution: the pre-2.11.1 lookup put back, so every race hit raises."""
    report = nicegui_storm('get', count=8, crowd=CROWD, server=server)
    report.expect_4304()
    lanes = report.evidence.lanes
    assert sum(len(lane.handler_errors) for lane in lanes) == report.evidence.keyerrors > 0
    assert all(lane.handler_errors for lane in lanes), report.verdict.notes
    assert all(n == 0 or 1 < n <= lane.navigations for lane in lanes for n in lane.handler_errors)  # 0: the check
    assert '(browser 1: ' in '; '.join(map(str, report.verdict.findings))
