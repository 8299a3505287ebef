"""Every kind of navigation, as a storm against the configured app, judged on the server's own evidence.

With the fix (the default) each storm must come out clean; with ``--disconnect-fix=off`` on NiceGUI 2.11.0,
or ``--disconnect-fix=bug`` anywhere, each storm that hits the race must show #4304 instead.
"""
import pytest

pytestmark = pytest.mark.storm


@pytest.mark.parametrize('scenario', ['get', 'link', 'history', 'reload', 'tabs', 'location'])
def test_storm_leaves_the_lifecycle_intact(nicegui_storm, scenario):
    """Leaving inside the connect-to-handshake window: race hits, and nothing else goes wrong."""
    nicegui_storm(scenario).check()


def test_server_started_navigation(nicegui_storm):
    """``ui.navigate.to`` from the server: the page leaves only after its handshake, so no race is expected
    and no hold-back would change that."""
    nicegui_storm('server', expect_race=False, handshake_delay_ms=0).check()
