"""Driver resolution without starting a browser: order, offline-first, one clear message on failure."""

import pytest

from nicegui_e2e import browser


def fake_which(available):
    return available.get


def versions(mapping):
    return lambda path: mapping[path]


def test_google_chrome_is_preferred_over_chromium():
    which = fake_which({'google-chrome': '/opt/chrome', 'chromium': '/usr/bin/chromium'})
    assert browser.find_binary(None, which) == '/opt/chrome'


def test_headless_runs_prefer_the_headless_shell_and_headed_runs_skip_it():
    which = fake_which({'chromium-headless-shell': '/usr/bin/chromium-headless-shell', 'chromium': '/usr/bin/chromium'})
    assert browser.find_binary(None, which) == '/usr/bin/chromium-headless-shell'
    assert browser.find_binary(None, which, headed=True) == '/usr/bin/chromium'


def test_a_headed_run_with_the_shell_is_one_line(tmp_path):
    shell = tmp_path / 'chrome-headless-shell'
    shell.write_text('')
    with pytest.raises(browser.BrowserError, match='headless shell and cannot show a window'):
        browser.resolve(
            explicit_binary=str(shell),
            headed=True,
            which=fake_which({'chromedriver': '/d'}),
            version_of=lambda _: '',
            fallbacks=[],
        )


def test_mismatched_driver_is_one_line():
    with pytest.raises(browser.BrowserError, match=r'chromedriver 120 .* does not match browser 156'):
        browser.resolve(
            which=fake_which({'chromedriver': '/d', 'chromium': '/b'}),
            version_of=versions({'/d': 'ChromeDriver 120.0.1.2', '/b': 'Chromium 156.0.8078.73'}),
            fallbacks=[],
        )


def test_missing_explicit_driver_is_named():
    with pytest.raises(browser.BrowserError, match='not found or not executable: /nope'):
        browser.resolve('/nope', which=fake_which({}), fallbacks=[])


def test_network_fallbacks_are_tried_in_order_only_without_a_local_driver():
    tried = []

    def failing(name):
        def fetch():
            tried.append(name)
            raise ConnectionError('network unreachable')

        return fetch

    with pytest.raises(browser.BrowserError) as error:
        browser.resolve(
            which=fake_which({}), fallbacks=[('Selenium Manager', failing('sm')), ('webdriver-manager', failing('wdm'))]
        )
    assert tried == ['sm', 'wdm']
    message = str(error.value)
    assert '\n' not in message and 'apt-get install chromium chromium-driver' in message
    assert 'Selenium Manager: ConnectionError: network unreachable' in message


class NetworkStandIns:
    """Selenium Manager and webdriver-manager as stand-ins that record what they were asked and never download."""

    def __init__(self, monkeypatch, selenium_manager_fails=False):
        self.asked = []
        stand_ins = self

        def binary_paths(_manager, args):
            stand_ins.asked.append(('Selenium Manager', tuple(args)))
            if selenium_manager_fails:
                raise ConnectionError('network unreachable')
            return {'driver_path': '/cache/selenium/chromedriver'}

        class ChromeDriverManager:
            def __init__(self, **request):
                stand_ins.asked.append(('webdriver-manager', request))

            def install(self):
                return '/cache/wdm/chromedriver'

        monkeypatch.setattr('selenium.webdriver.common.selenium_manager.SeleniumManager.binary_paths', binary_paths)
        monkeypatch.setattr('webdriver_manager.chrome.ChromeDriverManager', ChromeDriverManager)


CHROMIUM = {'/usr/bin/chromium': 'Chromium 156.0.8078.73 built on Debian', '/d': 'ChromeDriver 156.0.8078.73'}


def test_step_1_an_explicit_driver_asks_no_network(tmp_path, monkeypatch):
    network = NetworkStandIns(monkeypatch)
    driver = tmp_path / 'chromedriver'
    driver.write_text('#!/bin/sh\n')
    driver.chmod(0o755)
    on_path = fake_which({'chromedriver': '/elsewhere', 'chromium': '/usr/bin/chromium'})
    choice = browser.resolve(str(driver), which=on_path, version_of=lambda _: 'Chromium 156.0.8078.73')
    assert (choice.driver, choice.source, network.asked) == (str(driver), 'explicit', [])


def test_step_2_a_driver_on_path_beside_a_browser_asks_no_network(monkeypatch):
    network = NetworkStandIns(monkeypatch)
    choice = browser.resolve(
        which=fake_which({'chromedriver': '/d', 'chromium': '/usr/bin/chromium'}), version_of=versions(CHROMIUM)
    )
    assert (choice.driver, choice.binary, choice.source, network.asked) == ('/d', '/usr/bin/chromium', 'PATH', [])


def test_step_3_selenium_manager_is_told_the_browser_found_and_ends_the_search(monkeypatch):
    network = NetworkStandIns(monkeypatch)
    choice = browser.resolve(which=fake_which({'chromium': '/usr/bin/chromium'}), version_of=versions(CHROMIUM))
    assert (choice.driver, choice.source) == ('/cache/selenium/chromedriver', 'Selenium Manager')
    assert network.asked == [('Selenium Manager', ('--browser', 'chrome', '--browser-path', '/usr/bin/chromium'))]


@pytest.mark.parametrize(
    ('found', 'version', 'request_made'),
    [
        (
            '/usr/bin/chromium',
            'Chromium 156.0.8078.73 built on Debian',
            {'chrome_type': 'chromium', 'driver_version': '156.0.8078.73'},
        ),
        (
            '/usr/lib/chromium/chromium-headless-shell',
            'Chromium 156.0.8078.73',
            {'chrome_type': 'chromium', 'driver_version': '156.0.8078.73'},
        ),
        (
            '/opt/google/chrome/google-chrome',
            'Google Chrome 157.0.8100.2 ',
            {'chrome_type': 'google-chrome', 'driver_version': '157.0.8100.2'},
        ),
        (
            '/opt/chrome',
            'unreadable: [Errno 13] Permission denied',
            {'chrome_type': 'google-chrome', 'driver_version': None},
        ),
    ],
)
def test_step_4_webdriver_manager_asks_for_the_browser_that_is_installed(monkeypatch, found, version, request_made):
    network = NetworkStandIns(monkeypatch, selenium_manager_fails=True)
    choice = browser.resolve(explicit_binary=None, which=fake_which({'chromium': found}), version_of=lambda _: version)
    assert (choice.driver, choice.source) == ('/cache/wdm/chromedriver', 'webdriver-manager')
    assert [name for name, _ in network.asked] == ['Selenium Manager', 'webdriver-manager']
    assert network.asked[1][1] == request_made
    assert 'Selenium Manager: ConnectionError: network unreachable' in choice.notes


def test_without_any_browser_webdriver_manager_looks_for_google_chrome_itself():
    assert browser.webdriver_manager_request(None, versions({})) == ('google-chrome', None)


def test_chrome_options_are_quiet_and_blind(tmp_path):
    options = browser.chrome_options(browser.BrowserOptions(), '/usr/bin/chromium', tmp_path)
    for flag in (
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        f'--user-data-dir={tmp_path}',
        '--headless=new',
    ):
        assert flag in options.arguments
    assert options.page_load_strategy == 'none'


def test_the_shell_is_announced_to_the_driver_instead_of_headless_mode(tmp_path):
    options = browser.chrome_options(browser.BrowserOptions(), '/opt/chrome-headless-shell', tmp_path)
    assert options.to_capabilities()['browserName'] == 'chrome-headless-shell'
    assert '--headless=new' not in options.arguments


def test_handshake_hook_carries_the_delay_and_the_live_flag():
    hook = browser.handshake_hook(75)
    assert 'let delay = 75;' in hook
    assert "sessionStorage.getItem('nicegui_e2e_live')" in hook and 'query.nicegui_e2e_held = 1' in hook


def test_remote_options_name_no_local_path_and_ask_for_bidi():
    options = browser.chrome_options(
        browser.BrowserOptions(remote_url='http://127.0.0.1:4444', capabilities={'browserVersion': '156'}), None, None
    )
    capabilities = options.to_capabilities()
    assert not any(argument.startswith('--user-data-dir') for argument in options.arguments)
    assert 'binary' not in capabilities['goog:chromeOptions']
    assert capabilities['webSocketUrl'] is True and capabilities['browserVersion'] == '156'
    assert '--headless=new' in options.arguments and options.page_load_strategy == 'none'


def test_a_local_chrome_is_reached_over_cdp_unless_bidi_is_asked_for(tmp_path):
    local = browser.chrome_options(browser.BrowserOptions(), '/usr/bin/chromium', tmp_path).to_capabilities()
    assert not local.get('webSocketUrl')
    bidi = browser.chrome_options(browser.BrowserOptions(devtools='bidi'), '/usr/bin/chromium', tmp_path)
    assert bidi.to_capabilities()['webSocketUrl'] is True
