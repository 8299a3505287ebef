"""What every app under test shares: the same three paths, and the contract the suite's page check uses.

The check clicks ``#ping`` and waits for ``#clicks`` to change, proving a round trip through the server.
"""
from typing import Callable

from nicegui import ui

PAGES = ('/', '/b', '/c')


def ping() -> None:
    counter = ui.label('clicks: 0').props('id=clicks')
    ui.button('ping', on_click=lambda: counter.set_text(f'clicks: {int(counter.text.split()[-1]) + 1}')) \
        .props('id=ping')


def three_pages(body: Callable[[str], None]) -> None:
    """Serve ``body(path)`` at each of the storm's default paths."""
    for path in PAGES:
        ui.page(path)(lambda path=path: body(path))
