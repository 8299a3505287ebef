"""What the demo apps share: the same three paths, so that each app's pages are stormed alike."""

from typing import Callable

from nicegui import ui

PAGES = ('/', '/b', '/c')


def three_pages(body: Callable[[str], None]) -> None:
    """Serve ``body(path)`` at each of the three paths."""
    for path in PAGES:
        ui.page(path)(lambda path=path: body(path))
