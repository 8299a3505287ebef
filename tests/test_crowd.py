"""A crowd's storms as one, and what each browser caused, from synthetic events: pure functions, no browser."""

from test_storm import evidence, key_error

from nicegui_e2e.evidence import attribute
from nicegui_e2e.incident import Judged
from nicegui_e2e.storm import Navigation, StormResult
from nicegui_e2e.verdict import LaneTally, judge_storm


def lane(started, steps, missed=()):
    result = StormResult('get', 'connect', started=started, ended=started + steps + 0.5, missed=list(missed))
    result.navigations = [Navigation(started + i, 'get', '/a') for i in range(steps)]
    return result


def test_a_crowd_is_one_storm_of_its_browsers_steps():
    crowd = StormResult.crowd([lane(10.0, 3), lane(10.2, 3, missed=['step 2: timeout'])])
    assert [nav.lane for nav in crowd.navigations] == [0, 1, 0, 1, 0, 1]  # in time order, each named
    assert crowd.departures == 4 and crowd.started == 10.0 and crowd.ended == 13.7
    assert crowd.missed == ['browser 2: step 2: timeout']


def test_each_error_is_attributed_to_the_browser_and_the_navigation_that_left_the_page():
    crowd = StormResult.crowd([lane(10.0, 3), lane(10.0, 3)])
    events = [
        {'t': 10.1, 'kind': 'connect', 'sid': 'a', 'client': 'c1', 'lane': 0},
        {'t': 10.1, 'kind': 'connect', 'sid': 'b', 'client': 'c2', 'lane': 1},
        {'t': 11.2, 'kind': 'disconnect', 'sid': 'a', 'mapped': False, 'lane': 0},
        {'t': 11.2, 'kind': 'disconnect_error', 'sid': 'a', 'lane': 0, 'error': 'KeyError'},
        {'t': 11.3, 'kind': 'disconnect', 'sid': 'b', 'mapped': True, 'lane': 1},
        {'t': 12.1, 'kind': 'response', 'client': 'c2', 'path': '/x', 'status': 500},
        {'t': 14.0, 'kind': 'disconnect_error', 'sid': 'c', 'lane': 1, 'error': 'KeyError'},  # the page check's
    ]
    consoles = [[], [{'level': 'SEVERE', 'message': 'boom'}, {'level': 'SEVERE', 'message': 'net::ERR_ABORTED'}]]
    first, second = attribute(crowd, events, ['c2'], consoles, [(True, ''), (False, 'no answer')])
    assert (first.race_hits, first.handler_errors, first.error_pages, first.leaked) == (1, [2], 0, 0)
    assert (second.race_hits, second.handler_errors, second.error_pages, second.leaked) == (0, [0], 1, 1)
    assert (second.console_severe, second.page_works) == (1, False)
    assert second.line() == (
        'browser 2: 3 navigations, 0 race hits, 1 disconnect handler error(s) caused by '
        'navigation(s) the page check, 1 leaked, page check failed'
    )


def test_a_crowds_failures_name_the_browsers():
    tallies = [LaneTally(n, 10, 9, 0, 9, [2] * n, 0, 0, 0, 0, True) for n in (1, 2)]
    verdict = judge_storm(evidence(judged=Judged(failing=[key_error()] * 3), lanes=tallies))
    assert verdict.findings[0].text.endswith('(browser 1: 1, browser 2: 2)')
    assert verdict.notes[:2] == [tally.line() for tally in tallies]
