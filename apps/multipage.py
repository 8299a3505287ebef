"""Three plain pages linked to each other, and a button whose handler navigates on the server.

This repository's demo app: small enough to load fast, real enough that every page opens a socket, joins a
client and can be left mid-handshake. Tailwind is off: its runtime rebuilds the page's CSS in the browser on
every load, a quarter of a navigation's CPU and nothing the connection lifecycle depends on; ``heavy.py``
keeps it on.
"""

from nicegui import ui
from parts import PAGES, three_pages


def body(name: str) -> None:
    ui.label(f'page {name}').props('id=page-name')
    with ui.row():
        for path in PAGES:
            ui.link(f'to {path}', path).props(f'id=link-{path.strip("/") or "a"}')
    ui.button('server go', on_click=lambda: ui.navigate.to(PAGES[(PAGES.index(name) + 1) % len(PAGES)])).props(
        'id=server-go'
    )


three_pages(body)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False, tailwind=False)
