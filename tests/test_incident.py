"""The log parser and the policy, on output captured from real servers under storms (tests/data)."""

import json
from pathlib import Path

import pytest

from nicegui_e2e import incident

DATA = Path(__file__).parent / 'data'


def records(name):
    return [json.loads(line) for line in (DATA / name).read_text().splitlines()]


def test_raw_4304_tracebacks_from_nicegui_2_11_0():
    found = incident.parse_tracebacks((DATA / 'nicegui-2.11.0-off.stderr.log').read_text())
    assert len(found) == 2
    assert all(i.is_4304 for i in found)
    assert found[0].signature == 'KeyError@nicegui.client:handle_disconnect'
    assert found[0].exc.raising_frame.function == 'handle_disconnect'


def test_structured_4304_records_agree_with_the_raw_text():
    from_records = incident.from_records(records('nicegui-2.11.0-off.records.jsonl'))
    assert [i.signature for i in from_records if i.is_4304] == ['KeyError@nicegui.client:handle_disconnect'] * 2
    assert all(i.logger == 'engineio.server' for i in from_records)


def test_chained_starlette_error_keeps_its_cause():
    (found,) = incident.parse_tracebacks((DATA / 'nicegui-3.18.0-starlette-1.10.0.stderr.log').read_text())
    assert found.signature == 'RuntimeError@starlette.middleware.base:call_next'
    assert found.exc.message == 'No response returned.'
    assert [(relation, exc.type) for relation, exc in found.causes] == [('cause', 'EndOfStream')]
    assert not found.is_4304


def test_record_and_raw_text_of_one_error_count_once():
    raw = incident.parse_tracebacks((DATA / 'nicegui-3.18.0-starlette-1.10.0.stderr.log').read_text())
    structured = incident.from_records(records('nicegui-3.18.0-starlette-1.10.0.records.jsonl'))
    merged = incident.merge(structured, raw)
    assert len(merged) == 1 and merged[0].source == 'record'
    assert structured[0].causes[0][0] == 'cause'


def test_raw_traceback_without_record_is_kept():
    raw = incident.parse_tracebacks((DATA / 'nicegui-2.11.0-off.stderr.log').read_text())
    assert len(incident.merge([], raw)) == 2


def test_context_chain_from_print_order():
    text = '\n'.join(
        [
            'Traceback (most recent call last):',
            '  File "/x/site-packages/nicegui/client.py", line 1, in handle_disconnect',
            "KeyError: 'sid'",
            '',
            'During handling of the above exception, another exception occurred:',
            '',
            'Traceback (most recent call last):',
            '  File "/x/site-packages/nicegui/outbox.py", line 2, in loop',
            'ValueError: boom',
        ]
    )
    (found,) = incident.parse_tracebacks(text)
    assert found.signature == 'ValueError@nicegui.outbox:loop'
    assert [(r, e.type) for r, e in found.causes] == [('context', 'KeyError')]


def test_signatures_ignore_machines_and_socket_ids():
    a = incident.Frame('/venv/lib/python3.11/site-packages/nicegui/client.py', 'handle_disconnect', 260)
    b = incident.Frame('/other/lib/python3.12/site-packages/nicegui/client.py', 'handle_disconnect', 261)
    assert a.module == b.module == 'nicegui.client'
    no_frames = incident.Incident(incident.Exc('LogError', "client 'abc' gone after 12 s", ()), logger='nicegui')
    assert no_frames.signature == 'LogError@nicegui: client _ gone after _ s'


def write_allowlist(tmp_path, text):
    path = tmp_path / 'allow.toml'
    path.write_text(text)
    return incident.load_allowlist(path)


def test_allowlist_passes_known_noise_and_still_counts_it(tmp_path):
    entries = write_allowlist(
        tmp_path,
        """
[[allow]]
signature = "RuntimeError@starlette.middleware.base:call_next"
reason = "aborted page loads"
requires = { starlette = ">=1.0" }
""",
    )
    found = incident.parse_tracebacks((DATA / 'nicegui-3.18.0-starlette-1.10.0.stderr.log').read_text())
    judged = incident.judge(found, entries, {'starlette': '1.10.0'})
    assert not judged.failing and len(judged.allowed) == 1
    assert judged.signature_counts() == {'RuntimeError@starlette.middleware.base:call_next': (1, True)}
    out_of_range = incident.judge(found, entries, {'starlette': '0.45.0'})
    assert len(out_of_range.failing) == 1 and not out_of_range.live


def test_4304_always_fails(tmp_path):
    entries = write_allowlist(tmp_path, '[[allow]]\nsignature = "KeyError@*"\nreason = "too broad"\n')
    found = incident.parse_tracebacks((DATA / 'nicegui-2.11.0-off.stderr.log').read_text())
    judged = incident.judge(found, entries, {})
    assert len(judged.issue_4304) == 2 and not judged.allowed


@pytest.mark.parametrize(
    'text, problem',
    [
        ('[[allow]]\nsignature = "X@y:z"\n', 'needs both'),
        ('[[allow]]\nsignature = "KeyError@nicegui.client:handle_disconnect"\nreason = "no"\n', '#4304'),
        ('[[allow]]\nsignature = "X@y:z"\nreason = "r"\nnicegui = "not a range"\n', 'entry 1'),
        ('[[allow]\n', 'allow.toml'),
        ('allow = "everything"\n', 'must be an array of tables'),
        ('[[allow]]\nsignature = 3\nreason = "r"\n', 'needs both'),
        (
            '[[allow]]\nsignature = "X@y:z"\nreason = "r"\nrequires = { starlete = ">=1" }\n',
            "entry 1 names 'starlete', which is not installed here",
        ),
    ],
)
def test_bad_allowlist_is_one_clear_error(tmp_path, text, problem):
    with pytest.raises(incident.AllowListError, match=problem):
        write_allowlist(tmp_path, text)


def test_a_team_accepts_a_known_bug_by_its_key_with_a_reason(tmp_path):
    """Beside the signatures: ``[[known_bug]]`` entries, each a key of the corpus (#4304 too) and why. They allow
    no incident (the storm reads them against its release), and are never in force as signatures are."""
    entries = write_allowlist(
        tmp_path,
        '[[known_bug]]\nkey = "#5803"\nreason = " we pin 3.7.1 until May "\n'
        '[[known_bug]]\nkey = "#4304"\nreason = "2.11.0 in the field"\n'
        '[[allow]]\nsignature = "ValueError@app:*"\nreason = "ours"\n',
    )
    assert [(entry.signature, entry.bug, entry.reason) for entry in entries] == [
        ('ValueError@app:*', '', 'ours'),
        ('', '#5803', 'we pin 3.7.1 until May'),
        ('', '#4304', '2.11.0 in the field'),
    ]
    found = incident.parse_tracebacks((DATA / 'nicegui-2.11.0-off.stderr.log').read_text())
    judged = incident.judge(found, entries, {'nicegui': '2.11.0'})
    assert len(judged.issue_4304) == 2 and not judged.allowed, "an accepted #4304 is the storm's to read"
    assert [entry.bug for entry in judged.accepting] == ['#5803', '#4304']
    assert [entry.signature for entry in judged.live] == ['ValueError@app:*']


@pytest.mark.parametrize(
    'text, problem',
    [
        (
            '[[known_bug]]\nkey = "#9999"\nreason = "r"\n',
            r"^/\S+/allow\.toml: known_bug entry 1 \('#9999'\) is no known bug of NiceGUI; the keys are #4304, #4500, "
            r'#4753, #5803, #5595, late handshake, #4253, stale disconnect, #6126, timed-out wait '
            r'\(python -m nicegui_e2e bugs says which your release has\)$',
        ),
        (
            '[[known_bug]]\nkey = "#5803"\nreason = "r"\n[[known_bug]]\nkey = "#5803"\n',
            r'^/\S+/allow\.toml: known_bug entry 2 \(\'#5803\'\) needs both "key" and "reason" \(why the team cannot '
            r'upgrade yet\)$',
        ),
        ('[[known_bug]]\nkey = "#5803"\nreason = "  "\n', r"known_bug entry 1 \('#5803'\) needs both"),
        ('[[known_bug]]\nreason = "r"\n', r'known_bug entry 1 needs both "key" and "reason"'),
        ('[[known_bug]]\nkey = 5803\nreason = "r"\n', r'known_bug entry 1 needs both'),
        ('known_bug = "#5803"\n', r'"known_bug" must be an array of tables \(\[\[known_bug\]\] entries\)$'),
    ],
)
def test_a_bad_known_bug_entry_is_one_line_naming_the_file_and_the_entry(tmp_path, text, problem):
    with pytest.raises(incident.AllowListError, match=problem) as bad:
        write_allowlist(tmp_path, text)
    assert '\n' not in str(bad.value)


def test_an_unreadable_allowlist_is_one_clear_error(tmp_path):
    path = tmp_path / 'allow.toml'
    path.write_bytes(b'\xff\xfe not text')
    with pytest.raises(incident.AllowListError, match=r'allow\.toml: unreadable: .*codec'):
        incident.load_allowlist(path)


def test_records_keep_what_python_would_have_printed_anyway(tmp_path, capsys):
    """The JSON handler must not silence lines that Python's last-resort handler prints to stderr."""
    import logging

    from nicegui_e2e.records import JsonLinesHandler, LastResortEcho, read_records

    root = logging.getLogger()
    own = JsonLinesHandler(tmp_path / 'r.jsonl')
    echo = LastResortEcho(own)
    pytest_handlers, root.handlers = root.handlers, [own, echo]  # as in the server: ours only
    loud = logging.getLogger('test.loud')
    loud.addHandler(logging.NullHandler())
    try:
        try:
            raise ValueError('sid is not connected')
        except ValueError:
            logging.getLogger('test.orphan').exception('Task exception was never retrieved')
        loud.error('has a handler of its own')
    finally:
        root.handlers = pytest_handlers
    err = capsys.readouterr().err
    assert 'Task exception was never retrieved' in err and 'has a handler of its own' not in err
    found = read_records(tmp_path / 'r.jsonl')
    assert [r['exception']['type'] if r['exception'] else None for r in found] == ['ValueError', None]


def test_handshake_after_disconnect_on_2_11_1_is_found_in_both_sources():
    """A finding beyond #4304: the slow handshake's enter_room on a gone socket (asyncio task error)."""
    raw = incident.parse_tracebacks((DATA / 'nicegui-2.11.1-server-delay.stderr.log').read_text())
    structured = incident.from_records(records('nicegui-2.11.1-server-delay.records.jsonl'))
    assert [i.signature for i in raw] == ['ValueError@socketio.base_manager:basic_enter_room'] * 2
    assert [(i.logger, i.signature) for i in structured] == [
        ('asyncio', 'ValueError@socketio.base_manager:basic_enter_room')
    ] * 2
    assert len(incident.merge(structured, raw)) == 2
    assert not any(i.is_4304 for i in raw + structured)
