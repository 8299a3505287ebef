"""Pages that share state, as most real apps do: a per-user visit count in ``app.storage.user``, a
``@ui.refreshable`` drawn on every page and refreshed for all of them by a timer of the app, and a tab's own
note in ``app.storage.tab`` written once the tab is connected.

The refreshable keeps a target per page it was drawn on; the app-wide timer refreshes them all every half
second, so pages left before they connected, and clients deleted after the storm, meet a refresh in flight.
"""

from nicegui import app, ui
from parts import PAGES, three_pages

visits = {'all': 0}


@ui.refreshable
def total() -> None:
    ui.label(f'{visits["all"]} visits').classes('e2e-total')


def page(name: str) -> None:
    app.storage.user['visits'] = app.storage.user.get('visits', 0) + 1
    visits['all'] += 1
    ui.label(f'shared state {name}').props('id=page-name')
    total()
    with ui.row():
        for path in PAGES:
            ui.link(f'to {path}', path)

    async def remember_tab() -> None:
        await ui.context.client.connected()
        app.storage.tab['seen'] = app.storage.tab.get('seen', 0) + 1

    ui.timer(0, remember_tab, once=True)


three_pages(page)
app.timer(0.5, total.refresh)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False, tailwind=False, storage_secret='nicegui-e2e demo')
