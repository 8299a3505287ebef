"""Three pages, each with a timer that updates a label, as dashboards and clocks do.

A timer waits for its page's connection before it first runs. NiceGUI 3.0.0 to 3.4.1 wait without end: a page
left before it connected is pruned, but its timer's task waits on for the life of the server (upstream #5595).
2.x gives up after 60 s and logs an ERROR; 3.5.0 wakes the wait when the client is deleted.
"""

import time

from nicegui import ui
from parts import PAGES, three_pages


def page(name: str) -> None:
    ui.label(f'timer page {name}').props('id=page-name')
    clock = ui.label()
    ui.timer(0.5, lambda: clock.set_text(time.strftime('%H:%M:%S')))
    with ui.row():
        for path in PAGES:
            ui.link(f'to {path}', path)


three_pages(page)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(reconnect_timeout=1.0, reload=False, show=False, tailwind=False)
