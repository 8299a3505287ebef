"""The same storm against apps of other shapes: a heavy page, a slow connect handler."""

import pytest

pytestmark = pytest.mark.storm


@pytest.mark.parametrize('app', ['apps/heavy.py', 'apps/slow_connect.py', 'apps/shared_state.py'])
def test_get_storm_on_other_apps(nicegui_storm, nicegui_server_factory, app):
    nicegui_storm('get', count=15, server=nicegui_server_factory(app)).check()
