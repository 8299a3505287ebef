"""Every kind of navigation, as a storm against the configured app, judged on the server's own evidence."""
import pytest

pytestmark = pytest.mark.storm


@pytest.mark.parametrize('scenario', ['get', 'link', 'history', 'reload', 'tabs', 'location'])
def test_storm_leaves_the_lifecycle_intact(nicegui_storm, scenario):
    """Leaving inside the connect-to-handshake window: race hits, and nothing else goes wrong."""
    report = nicegui_storm(scenario)
    print(report.line)
    assert report.verdict.passed, report.verdict.failures


def test_server_started_navigation(nicegui_storm):
    """``ui.navigate.to`` from the server: the page leaves only after its handshake, so no race is expected."""
    report = nicegui_storm('server', expect_race=False)
    print(report.line)
    assert report.verdict.passed, report.verdict.failures
