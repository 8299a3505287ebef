"""Apps the suite has never seen, written here the way teams write them: their own paths and links, a
parameterised route, their own handlers, no test ids. The suite must storm them with nothing but the file.

Each app is written into a temporary folder by the test, so nothing in ``apps/`` helps it along.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.storm

SHOP = """
from nicegui import app, ui

visits = {'disconnects': 0}


def frame(title: str) -> None:
    with ui.header():
        ui.label('Acme shop')
        ui.link('Home', '/')
        ui.link('Catalogue', '/catalogue')
        ui.link('Basket', '/basket')
    ui.label(title)


@ui.page('/')
def home() -> None:
    frame('Welcome')


@ui.page('/catalogue')
def catalogue() -> None:
    frame('Catalogue')
    for n in range(1, 4):
        ui.link(f'Order {n}', f'/orders/{n}')


@ui.page('/basket')
def basket() -> None:
    frame('Basket')
    items = app.storage.user.setdefault('items', 0)
    ui.label(f'{items} items')
    ui.button('Add', on_click=lambda: app.storage.user.update(items=app.storage.user['items'] + 1))


@ui.page('/orders/{order_id}')
def order(order_id: int) -> None:
    frame(f'Order {order_id}')


def on_disconnect() -> None:
    visits['disconnects'] += 1


app.on_disconnect(on_disconnect)

ui.run(title='Acme', reconnect_timeout=2.0, storage_secret='not so secret', tailwind=False)
"""

SCRIPT = """
from nicegui import ui

ui.label('A page written as a script: no ui.page anywhere')
ui.link('Again', '/')
ui.button('Wave', on_click=lambda: ui.notify('hello'))

ui.run(reconnect_timeout=1.0)
"""

PACKAGE = {
    'main.py': """
        from acme_pages import views  # a package beside the file, imported as a team would

        views.register()
    """,
    'acme_pages/__init__.py': '',
    'acme_pages/parts.py': """
        from nicegui import ui


        def menu() -> None:
            with ui.row():
                ui.link('Start', '/start')
                ui.link('Report', '/report')
    """,
    'acme_pages/views.py': """
        from nicegui import ui

        from .parts import menu


        def register() -> None:
            @ui.page('/start')
            def start() -> None:
                menu()
                ui.label('start')

            @ui.page('/report')
            async def report() -> None:
                menu()
                ui.label('report')
    """,
}


RUN_WITH = {
    'web/__init__.py': '',
    'web/api.py': """
        from fastapi import FastAPI
        from nicegui import ui

        api = FastAPI()


        @api.get('/health')
        def health() -> dict:
            return {'ok': True}


        @ui.page('/')
        def home() -> None:
            ui.label('mounted on a FastAPI app of its own')
            ui.link('About', '/about')  # NiceGUI puts the mount path in front


        @ui.page('/about')
        def about() -> None:
            ui.label('about')
            ui.link('Home', '/')


        ui.run_with(api, mount_path='/gui', storage_secret='not so secret', reconnect_timeout=30)
    """,
}


def write_app(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return folder / 'main.py'


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_app(tmp_path, {'main.py': SHOP})


def test_pages_come_from_the_app_and_skip_parameterised_routes(nicegui_server_factory, shop):
    assert nicegui_server_factory(shop).pages() == ['/', '/basket', '/catalogue']


@pytest.mark.parametrize('scenario', ['get', 'link', 'history', 'reload'])
def test_a_shop_with_its_own_paths_and_links(nicegui_storm, nicegui_server_factory, shop, scenario):
    """The storm's own verdict is the assertion: race hit (where the release has a race), nothing else wrong."""
    nicegui_storm(scenario, server=nicegui_server_factory(shop), count=12)


def test_concrete_instances_of_a_parameterised_route(nicegui_storm, nicegui_server_factory, shop):
    report = nicegui_storm('get', server=nicegui_server_factory(shop), count=8, pages=['/orders/1', '/orders/2'])
    assert {nav.target for nav in report.result.navigations} == {'/orders/1', '/orders/2'}


def test_an_error_page_is_a_finding_never_a_race_hit(nicegui_storm, nicegui_server_factory, shop):
    """Half the steps go to a path the app does not serve: the storm fails naming it, and the departures
    from NiceGUI's 404 page are not counted as race hits."""
    report = nicegui_storm('get', server=nicegui_server_factory(shop), count=10, pages=['/', '/no-such-page'])
    assert report.evidence.error_pages == {'/no-such-page answered 404': 5}
    if report.evidence.race_hits is not None:  # 2.10.1 keeps no per-socket mapping: there is no race to count
        in_window = [e for e in report.events if e['kind'] == 'disconnect' and e.get('mapped') is False]
        from_error_pages = [e for e in in_window if e.get('error_page')]
        assert from_error_pages, 'no error page was left inside the window, so this proves nothing'
        assert report.evidence.race_hits == len(in_window) - len(from_error_pages), report.line
    with pytest.raises(AssertionError, match=r'5 page load\(s\) got an error page: /no-such-page answered 404 x5'):
        report.check()


def test_a_script_mode_app(nicegui_storm, nicegui_server_factory, tmp_path):
    server = nicegui_server_factory(write_app(tmp_path, {'main.py': SCRIPT}))
    assert server.pages() == ['/']
    nicegui_storm('reload', server=server, count=10)


def test_an_app_in_a_package_without_ui_run(nicegui_storm, nicegui_server_factory, tmp_path):
    server = nicegui_server_factory(write_app(tmp_path, PACKAGE))
    assert server.pages() == ['/report', '/start']
    nicegui_storm('link', server=server, count=10)


def test_an_app_mounted_on_its_own_fastapi_app(nicegui_storm, nicegui_server_factory, tmp_path):
    """``ui.run_with`` under a mount path, named as uvicorn names it; its long reconnect timeout is the suite's
    to shorten on the server it starts."""
    write_app(tmp_path, RUN_WITH)
    server = nicegui_server_factory('web.api:api', app_dir=tmp_path, reconnect_timeout=1.0)
    assert server.info['prefix'] == '/gui' and server.pages() == ['/', '/about']
    report = nicegui_storm('link', server=server, count=10)
    assert report.evidence.reconnect_timeout == 1.0, report.evidence.reconnect_timeout
