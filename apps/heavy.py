"""Pages that take a while to build and render: many elements, a table, so the socket connects late."""

from nicegui import ui
from parts import three_pages


def body(name: str) -> None:
    ui.label(f'heavy page {name}').props('id=page-name')
    rows = [{'n': n, 'square': n * n, 'name': f'row {n}'} for n in range(300)]
    ui.table(columns=[{'name': k, 'label': k, 'field': k} for k in ('n', 'square', 'name')], rows=rows)
    with ui.grid(columns=10):
        for n in range(400):
            ui.label(str(n))


three_pages(body)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False)
