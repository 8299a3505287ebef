"""Pages that take a while to build and render: many elements, a table, so the socket connects late."""
from nicegui import ui


def heavy_body(name: str) -> None:
    ui.label(f'heavy page {name}').props('id=page-name')
    counter = ui.label('clicks: 0').props('id=clicks')
    ui.button('ping', on_click=lambda: counter.set_text(f'clicks: {int(counter.text.split()[-1]) + 1}')) \
        .props('id=ping')
    rows = [{'n': n, 'square': n * n, 'name': f'row {n}'} for n in range(300)]
    ui.table(columns=[{'name': k, 'label': k, 'field': k} for k in ('n', 'square', 'name')], rows=rows)
    with ui.grid(columns=10):
        for n in range(400):
            ui.label(str(n))


@ui.page('/')
def index() -> None:
    heavy_body('/')


@ui.page('/b')
def page_b() -> None:
    heavy_body('/b')


@ui.page('/c')
def page_c() -> None:
    heavy_body('/c')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False)
