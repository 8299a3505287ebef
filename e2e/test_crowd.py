"""A crowd: several browsers storm one server at the same time, each with its own seed, judged as one storm,
with every race hit and every error of the disconnect handler attributed to the browser that caused it."""
import pytest

CROWD = 4


@pytest.mark.storm
def test_a_crowd_storms_one_server_and_each_browser_hits_the_race(nicegui_storm):
    report = nicegui_storm('get', count=10, crowd=CROWD)
    lanes = report.evidence.lanes
    assert [lane.browser for lane in lanes] == list(range(1, CROWD + 1))
    assert all(lane.navigations == 10 and lane.race_hits > 0 for lane in lanes), report.verdict.notes
    assert sum(lane.race_hits for lane in lanes) == report.evidence.race_hits
    assert report.line.startswith(f'crowd of {CROWD}: get')
    report.check()


@pytest.mark.storm
def test_every_keyerror_of_a_crowd_is_attributed_to_a_browser_and_navigation(nicegui_storm, nicegui_server_factory):
    """The negative control of the attribution: the pre-2.11.1 lookup put back, so every race hit raises."""
    server = nicegui_server_factory(disconnect_fix='bug')
    report = nicegui_storm('get', count=8, crowd=CROWD, server=server)
    report.expect_4304()
    lanes = report.evidence.lanes
    assert sum(len(lane.handler_errors) for lane in lanes) == report.evidence.keyerrors > 0
    assert all(lane.handler_errors for lane in lanes), report.verdict.notes
    assert all(n == 0 or 1 < n <= lane.navigations for lane in lanes for n in lane.handler_errors)  # 0: the check
    assert '(browser 1: ' in '; '.join(report.verdict.failures)
