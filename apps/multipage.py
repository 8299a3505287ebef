"""Three plain pages linked to each other, a round-trip button on each, and a server-started navigation.

The suite's default app: small enough to load fast, real enough that every page opens a socket, joins a
client and can be left mid-handshake.
"""
from nicegui import ui

PAGES = ('/', '/b', '/c')


def page_body(name: str) -> None:
    ui.label(f'page {name}').props('id=page-name')
    with ui.row():
        for path in PAGES:
            ui.link(f'to {path}', path).props(f'id=link-{path.strip("/") or "a"}')
    counter = ui.label('clicks: 0').props('id=clicks')
    ui.button('ping', on_click=lambda: counter.set_text(f'clicks: {int(counter.text.split()[-1]) + 1}')) \
        .props('id=ping')
    ui.button('server go', on_click=lambda: ui.navigate.to(PAGES[(PAGES.index(name) + 1) % len(PAGES)])) \
        .props('id=server-go')


@ui.page('/')
def page_a() -> None:
    page_body('/')


@ui.page('/b')
def page_b() -> None:
    page_body('/b')


@ui.page('/c')
def page_c() -> None:
    page_body('/c')


@ui.page('/bounce')
def bounce() -> None:
    """A page that the server leaves by itself: the timer navigates on as soon as the socket is up."""
    ui.label('bouncing').props('id=page-name')
    ui.timer(0.05, lambda: ui.navigate.to('/bounce2'), once=True)


@ui.page('/bounce2')
def bounce2() -> None:
    ui.label('bouncing back').props('id=page-name')
    ui.timer(0.05, lambda: ui.navigate.to('/bounce'), once=True)


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False)
