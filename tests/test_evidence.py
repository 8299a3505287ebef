"""A storm's evidence gathered from plain data, as lifecycle collects it: no browser, no server."""

from pathlib import Path

from nicegui_e2e.evidence import Collected, gather
from nicegui_e2e.findings import Code
from nicegui_e2e.records import read_records
from nicegui_e2e.storm import Navigation, StormResult
from nicegui_e2e.verdict import judge_storm

DATA = Path(__file__).parent / 'data'


def client(id_, created=10.5, *, handshook=True, live=0, shared=False):
    return {
        'id': id_,
        'shared': shared,
        'looks_connected': False,
        'created': created,
        'handshook': handshook,
        'sockets': live,
        'live_sockets': live,
    }


def snapshot(clients=(), race_hits=7, dead_mappings=0):
    return {
        'time': 20.0,
        'clients': list(clients),
        'dead_mappings': dead_mappings,
        'race_hits': race_hits,
        'events': [],
        'event_count': 0,
        'reconnect_timeout': 3.0,
        'pages': ['/'],
        'tasks': {},
    }


def storm(started=10.0, steps=4):
    result = StormResult('get', 'connect', started=started, ended=started + steps, last_page_open=True)
    result.navigations = [Navigation(started + i, 'get', '/') for i in range(steps)]
    return result


def collected(**changes):
    base = dict(
        result=storm(),
        cadence='connect',
        events=[],
        snapshot=snapshot(),
        race_hits_before=4,
        raw_log='',
        records=[],
        consoles=[[]],
        checks=[(True, '')],
        lost_guard=False,
    )
    base.update(changes)
    return Collected(**base)


def test_a_clean_storm_counts_its_steps_and_the_race_hits_since_it_began():
    e = gather(collected(), expect_race=True)
    assert (e.scenario, e.cadence, e.navigations, e.departures, e.race_hits, e.seconds) == (
        'get',
        'connect',
        4,
        4,
        3,
        4.0,
    )
    assert not judge_storm(e).findings and e.lanes == []


def test_a_server_without_a_socket_mapping_has_no_race_to_count():
    assert gather(collected(race_hits_before=None), expect_race=False).race_hits is None


def test_the_server_state_after_the_settle_names_what_the_storm_left():
    clients = [
        client('left'),
        client('before', created=9.0),
        client('open', live=1),
        client('shared', shared=True),
        client('never', handshook=False),
        client('never-before', created=1.0, handshook=False),
    ]
    e = gather(collected(snapshot=snapshot(clients, dead_mappings=2)), expect_race=True)
    assert (e.leaked_clients, e.unconnected, e.dead_mappings) == (1, 1, 2)


def test_the_servers_events_during_the_storm_and_after_it():
    events = [
        {'t': 10.1, 'kind': 'connect', 'client': 'a', 'handshake': 'held'},
        {'t': 10.2, 'kind': 'connect', 'client': 'b'},
        {'t': 10.3, 'kind': 'response', 'client': 'b', 'path': '/x', 'status': 404},
        {'t': 10.4, 'kind': 'response', 'client': 'b', 'path': '/', 'status': 200},
        {'t': 10.5, 'kind': 'event_dropped', 'client': 'a'},
        {'t': 15.0, 'kind': 'response', 'client': 'c', 'path': '/x', 'status': 500},  # the page check's, not counted
        {'t': 15.5, 'kind': 'connect', 'client': 'c'},
        {'t': 16.0, 'kind': 'deleted', 'client': 'a', 'live': 1},
        {'t': 16.1, 'kind': 'deleted', 'client': 'b', 'live': 0},
    ]
    e = gather(collected(events=events), expect_race=True)
    assert e.handshake_paths == {'held': 1, 'explicit': 1}
    assert e.error_pages == {'/x answered 404': 1}
    assert (e.dropped_events, e.deleted_live) == (1, 1)


def test_pages_left_before_their_handshake_that_could_not_race_are_counted_by_why():
    events = [
        {'t': 10.1, 'kind': 'disconnect', 'mapped': False, 'error_page': True, 'gone': False},
        {'t': 10.2, 'kind': 'disconnect', 'mapped': False, 'error_page': False, 'gone': True},
        {'t': 10.3, 'kind': 'disconnect', 'mapped': False, 'error_page': True, 'gone': True},
        {'t': 10.4, 'kind': 'disconnect', 'mapped': False, 'error_page': False, 'gone': False},  # a race hit
        {'t': 10.5, 'kind': 'disconnect', 'mapped': True, 'error_page': True, 'gone': False},  # left after it
    ]
    e = gather(collected(events=events), expect_race=True)
    assert e.raceless == {'answered with an error page': 1, 'whose client NiceGUI had deleted': 2}
    assert e.raceless_pages == '1 answered with an error page, 2 whose client NiceGUI had deleted'
    assert gather(collected(), expect_race=True).raceless_pages == ''


def test_nicegui_s_own_page_for_a_page_slower_than_its_response_timeout_is_told_apart_from_error_pages():
    # 3.14.0 and later: each load of a page slower than its response_timeout is a 500 page that says so, after a
    # warning; one 500 more than the warnings is an error page like any other
    events = [
        {'t': 10.1 + n / 10, 'kind': 'response', 'client': f'e{n}', 'path': '/slow', 'status': 500} for n in range(3)
    ]
    events.append({'t': 10.5, 'kind': 'response', 'client': 'x', 'path': '/nope', 'status': 404})
    warning = {'level': 'WARNING', 'logger': 'nicegui', 'message': 'Response for /slow not ready after 0.5 seconds'}
    console = [
        {
            'level': 'SEVERE',
            'message': f'http://127.0.0.1:8080{path} - Failed to load resource: the server responded '
            f'with a status of {status}',
        }
        for path, status in (('/slow', 500), ('/nope', 404))
    ]
    e = gather(collected(events=events, records=[warning, warning], consoles=[console]), expect_race=True)
    assert e.timed_out == {'/slow': 2}
    assert e.error_pages == {'/slow answered 500': 1, '/nope answered 404': 1}
    assert [m.split(' ')[0] for m in e.console_severe] == ['http://127.0.0.1:8080/nope']
    verdict = judge_storm(gather(collected(events=events[:2], records=[warning, warning]), expect_race=True))
    assert verdict.findings == []
    assert verdict.notes[0].startswith('2 page load(s) took longer to build than their response_timeout')


def test_a_click_on_a_page_that_finished_its_handshake_must_reach_the_server():
    result = storm()
    result.heard = ['a', 'b', 'c']  # pages clicked as they showed, stayed on until their handshake
    events = [
        {'t': 10.1, 'kind': 'event', 'client': 'a'},
        {'t': 10.2, 'kind': 'event_dropped', 'client': 'b'},  # 2.17.0 (#4753): arrived before the handshake
        {'t': 10.3, 'kind': 'event', 'client': 'x'},  # a page the storm did not check
    ]
    e = gather(collected(result=result, events=events), expect_race=True)
    assert (e.clicks_checked, e.unheard_clicks, e.dropped_events) == (3, 2, 1)
    unheard, dropped = judge_storm(e).findings
    assert (unheard.code, dropped.code) == (Code.UNHEARD_CLICKS, Code.DROPPED_EVENTS)
    assert unheard.text == (
        '2 of 3 page(s) clicked as they showed and stayed on until their handshake was done: the click never reached '
        'the server as an event it handles'
    )
    result.heard = ['a']
    clean = judge_storm(gather(collected(result=result, events=events[:1]), expect_race=True))
    assert clean.findings == [] and '1 page(s) clicked as they showed and stayed on until their handshake: every ' in (
        ' '.join(clean.notes)
    )


def test_the_servers_log_and_records_are_judged_as_incidents():
    """The log and records of a real storm on NiceGUI 2.11.0 as shipped: two #4304 KeyErrors, in both."""
    e = gather(
        collected(
            raw_log=(DATA / 'nicegui-2.11.0-off.stderr.log').read_text(encoding='utf-8'),
            records=read_records(DATA / 'nicegui-2.11.0-off.records.jsonl'),
        ),
        expect_race=True,
    )
    assert (e.keyerrors_raw, len(e.judged.issue_4304), e.keyerrors) == (2, 2, 2)


def test_the_console_says_what_a_storm_did_not_do_on_purpose():
    console = [
        {'level': 'SEVERE', 'message': 'net::ERR_ABORTED'},
        {'level': 'SEVERE', 'message': 'x 0:0 Failed to load resource: the server responded with a status of 500 ()'},
        {'level': 'INFO', 'message': '"reloading because handshake failed for clientId 0b5d"'},
    ]
    e = gather(collected(consoles=[console]), expect_race=True)
    assert (len(e.console_severe), e.self_reloads) == (1, {'handshake failed': 1})
    expected = gather(collected(consoles=[console]), expect_race=True, expect_error_pages=True)
    assert (expected.console_severe, expected.error_pages_expected) == ([], True)


def test_a_page_check_that_failed_says_why():
    e = gather(collected(checks=[(False, 'no answer')]), expect_race=True)
    assert (e.page_works, e.page_problem) == (False, 'no answer')


def test_a_crowd_names_each_browser_in_its_checks_its_console_and_its_lanes():
    crowd = StormResult.crowd([storm(), storm(10.2)])
    events = [
        {'t': 10.1, 'kind': 'connect', 'client': 'a', 'lane': 0},
        {'t': 10.3, 'kind': 'connect', 'client': 'b', 'lane': 1},
    ]
    gathered = collected(
        result=crowd,
        events=events,
        snapshot=snapshot([client('b')]),
        consoles=[[], [{'level': 'SEVERE', 'message': 'boom'}]],
        checks=[(True, ''), (False, 'no answer')],
    )
    e = gather(gathered, expect_race=True)
    assert gathered.console == [{'level': 'SEVERE', 'message': 'boom', 'browser': 2}]
    assert (e.page_works, e.page_problem, e.console_severe) == (False, 'browser 2: no answer', ['boom'])
    assert [(lane.browser, lane.leaked, lane.console_severe, lane.page_works) for lane in e.lanes] == [
        (1, 0, 0, True),
        (2, 1, 1, False),
    ]
