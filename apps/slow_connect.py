"""An app whose connect handler is slow (a database lookup, say): work that runs while pages are left."""
import asyncio

from nicegui import app, ui

connected = {'count': 0}


async def on_connect() -> None:
    await asyncio.sleep(0.3)
    connected['count'] += 1


app.on_connect(on_connect)


def body(name: str) -> None:
    ui.label(f'slow connect {name}').props('id=page-name')
    counter = ui.label('clicks: 0').props('id=clicks')
    ui.button('ping', on_click=lambda: counter.set_text(f'clicks: {int(counter.text.split()[-1]) + 1}')) \
        .props('id=ping')


@ui.page('/')
def index() -> None:
    body('/')


@ui.page('/b')
def page_b() -> None:
    body('/b')


@ui.page('/c')
def page_c() -> None:
    body('/c')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False)
