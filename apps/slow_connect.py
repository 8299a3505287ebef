"""An app whose connect handler is slow (a database lookup, say): work that runs while pages are left."""

import asyncio

from nicegui import app, ui
from parts import three_pages


async def on_connect() -> None:
    await asyncio.sleep(0.3)


app.on_connect(on_connect)


def body(name: str) -> None:
    ui.label(f'slow connect {name}').props('id=page-name')


three_pages(body)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False)
