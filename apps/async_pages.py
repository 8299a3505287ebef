"""Three async pages that never wait for their connection, as many real apps' pages are (they await a
database, not the browser).

NiceGUI starts a task per async page load that waits for the page's connection; releases 2.14.1 to 3.7.1 never
end it when the page finishes first (upstream #5803; 2.13.0 let it be destroyed while pending, #4500), so each
load leaks one task for the life of the server.
"""

import asyncio

from nicegui import ui
from parts import PAGES


def links(name: str) -> None:
    ui.label(f'async page {name}').props('id=page-name')
    with ui.row():
        for path in PAGES:
            ui.link(f'to {path}', path)


for page_path in PAGES:

    async def page(name: str = page_path) -> None:
        await asyncio.sleep(0)  # the page's own async work, done before the browser connects
        links(name)

    ui.page(page_path)(page)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False, tailwind=False)
