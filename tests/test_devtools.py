"""Which channel a browser session gets, without a browser: the setting, what the session offers, and the one
line where the two disagree."""

from types import SimpleNamespace

import pytest

from nicegui_e2e import devtools


class FakeScript:
    def __init__(self):
        self.handlers = []

    def add_console_message_handler(self, handler):
        self.handlers.append(handler)

    def add_javascript_error_handler(self, handler):
        self.handlers.append(handler)


def session(websocket=None, execute_cdp_cmd=None):
    capabilities = {'webSocketUrl': websocket} if websocket else {}
    return SimpleNamespace(
        capabilities=capabilities,
        script=FakeScript(),
        execute_cdp_cmd=execute_cdp_cmd,
        command_executor=SimpleNamespace(add_command=lambda *args: None),
    )


@pytest.mark.parametrize(
    'choice, remote, websocket, expected',
    [
        ('auto', False, None, 'cdp'),
        ('auto', True, 'ws://127.0.0.1:4444/session/1/se/bidi', 'bidi'),
        ('auto', True, None, 'cdp'),  # a Grid without BiDi: chromedriver's CDP command through it
        ('cdp', True, 'ws://127.0.0.1:4444/session/1/se/bidi', 'cdp'),
        ('bidi', False, 'ws://127.0.0.1:9515/session/1', 'bidi'),
    ],
)
def test_the_channel_follows_the_setting_and_the_session(choice, remote, websocket, expected):
    assert devtools.open_channel(session(websocket), choice, remote).name == expected


def test_bidi_asked_for_but_not_offered_is_one_line():
    with pytest.raises(devtools.ChannelError, match=r'offers no WebDriver BiDi .* use devtools auto or cdp'):
        devtools.open_channel(session(), 'bidi', remote=True)


def test_a_bidi_address_that_does_not_answer_is_one_line():
    driver = session('ws://192.0.2.2:4444/session/1/se/bidi')

    def refuse(_handler):
        raise ConnectionRefusedError(111, 'Connection refused')

    driver.script.add_console_message_handler = refuse
    with pytest.raises(
        devtools.ChannelError,
        match=r'BiDi at ws://192\.0\.2\.2:4444/.*does not answer '
        r'\(ConnectionRefusedError: .*Connection refused\)',
    ):
        devtools.open_channel(driver, 'auto', remote=True)


def test_console_entries_arrive_as_events_in_chromedrivers_words():
    driver = session('ws://x')
    channel = devtools.open_channel(driver, 'bidi', remote=False)
    console_handler, error_handler = driver.script.handlers
    console_handler(SimpleNamespace(level='error', text='boom', timestamp=1))
    error_handler(SimpleNamespace(level='error', text='Uncaught TypeError', timestamp=2))
    console_handler(SimpleNamespace(level='info', text='hello', timestamp=3))
    assert [(e['level'], e['source']) for e in channel.console()] == [
        ('SEVERE', 'console-api'),
        ('SEVERE', 'javascript'),
        ('INFO', 'console-api'),
    ]
    assert channel.console() == []
