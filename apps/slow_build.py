"""An async page that takes longer to build than their ``response_timeout``, before their browser connects
(a slow query in the page function, with a timeout set tight).

NiceGUI 3.0.0 to 3.13.0 answer such a request after the timeout with the page of a client they have already
deleted: its handshake fails, the page reloads itself, is slow again, and so on for as long as the user waits
(upstream #6126). 3.14.0 answers with a terminal error page (status 500) that says why. 2.x serves the page and
goes on building it.
"""

import asyncio

from nicegui import ui

RESPONSE_TIMEOUT = 0.5
BUILD_SECONDS = 1.5


@ui.page('/')
def index() -> None:
    """A page that builds at once, for the server's readiness check and the user's way in."""
    ui.link('the slow page', '/slow')


@ui.page('/slow', response_timeout=RESPONSE_TIMEOUT)
async def slow() -> None:
    await asyncio.sleep(BUILD_SECONDS)  # the slow query, before the page waits for its connection
    ui.label('slow page').props('id=page-name')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False, tailwind=False)
