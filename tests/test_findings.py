"""Findings are read by their codes: the corpus, the summary, the reports and the benchmarks never match the
verdict's sentences, which only :mod:`nicegui_e2e.verdict` writes (and the check that reads a verdict against
what its server had to show, which writes sentences of its own)."""

import ast
import json
from pathlib import Path

import pytest

from nicegui_e2e import corpus
from nicegui_e2e.findings import Code, Finding, Outcome
from nicegui_e2e.summary import StormSummary

ROOT = Path(__file__).resolve().parent.parent
WRITERS = {'nicegui_e2e/verdict.py'}
"""Where verdict sentences are written (and evidence classified into codes)."""
TEXT_NAMES = {
    'failures',
    'failure',
    'findings',
    'finding',
    'notes',
    'note',
    'verdict',
    'verdicts',
    'shown',
    'problems',
    'problem',
}
"""Names of what holds verdict sentences (and ``.text``, a finding's sentence); words read from them are prose."""


def _text_names(node: ast.AST, text_vars: set[str]) -> set[str]:
    """The names in ``node`` that hold verdict sentences: a name above, ``.text``, or a comprehension's variable
    that runs over one of them."""
    found = set()
    for each in ast.walk(node):
        if isinstance(each, ast.Name) and (each.id in TEXT_NAMES or each.id in text_vars):
            found.add(each.id)
        elif isinstance(each, ast.Attribute) and each.attr in TEXT_NAMES | {'text'}:
            found.add(each.attr)
    return found


def _searched(node: ast.AST):
    """What a substring test, a prefix test or an equality with a literal reads words of, if it is one."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ('startswith', 'endswith', 'find', 'index')
    ):
        yield node.func.value
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if isinstance(op, (ast.In, ast.NotIn)):
                yield right
            elif isinstance(op, (ast.Eq, ast.NotEq)):
                literal = [isinstance(n, ast.Constant) and isinstance(n.value, str) for n in (left, right)]
                if any(literal):
                    yield right if literal[0] else left


def _own_expressions(statement: ast.stmt):
    """The expressions of a statement itself, not of the statements in its body."""
    for child in ast.iter_child_nodes(statement):
        if not isinstance(child, (ast.stmt, ast.excepthandler)):
            yield from ast.walk(child)


def word_matches(source: str) -> list[int]:
    """Lines where a statement reads words (a substring, a prefix, equality with a literal) of something that
    holds verdict sentences."""
    found = []
    for statement in ast.walk(ast.parse(source)):
        if not isinstance(statement, ast.stmt):
            continue
        nodes = list(_own_expressions(statement))
        text_vars = {
            target.id
            for node in nodes
            if isinstance(node, ast.comprehension) and _text_names(node.iter, set())
            for target in ast.walk(node.target)
            if isinstance(target, ast.Name)
        }
        if any(_text_names(searched, text_vars) for node in nodes for searched in _searched(node)):
            found.append(statement.lineno)
    return found


def test_the_check_catches_the_substring_matching_it_replaced():
    """What the corpus, the summary and the report did before findings had codes."""
    old = [
        'shown_by = any(words in failure for words in self.shows)',
        "only_4304 = self.failures and all(f.startswith('#4304') for f in self.failures)",
        "detected = {cell.env for cell in cells if any(storm.verdict == 'bug detected' for storm in cell.storms)}",
        "ok = sum(v.startswith('pass') for v in verdicts)",
        "if self.verdict.notes[0].find('proves nothing') >= 0:\n    pass",
    ]
    assert [word_matches(snippet) for snippet in old] == [[1]] * len(old)
    assert word_matches("names = [name for name in storm.signatures if '#4304' not in name]") == []
    assert word_matches('shown = finding.code in self.shows and text.startswith("sweep:")') == []


@pytest.mark.parametrize(
    'path',
    sorted(str(p.relative_to(ROOT)) for folder in ('nicegui_e2e', 'benchmarks') for p in (ROOT / folder).glob('*.py')),
)
def test_no_code_reads_verdict_sentences(path):
    if path in WRITERS:
        pytest.skip('writes the sentences')
    assert word_matches((ROOT / path).read_text(encoding='utf-8')) == [], (
        f'{path} tests words of verdict text: read Finding.code or StormSummary.result instead'
    )


def test_the_corpus_names_codes():
    for bug in corpus.KNOWN:
        assert bug.shows and all(isinstance(code, Code) for code in (*bug.shows, *bug.follows)), bug.key
        assert not set(bug.shows) & set(bug.follows), bug.key


def test_a_record_keeps_its_codes_through_json_and_reads_an_older_writers_sentences():
    from tests.test_report import storm

    data = storm('failed', failures=[Finding(Code.ISSUE_4304, '#4304: 3 KeyError(s)', 3)], bug_present=True)
    assert data['failures'] == [{'code': 'issue-4304', 'text': '#4304: 3 KeyError(s)', 'count': 3, 'bug': ''}]
    record = StormSummary.from_json(json.dumps(data))
    assert record.failures == [Finding(Code.ISSUE_4304, '#4304: 3 KeyError(s)', 3)]
    assert (record.result, record.verdict, record.detected_4304) == (Outcome.BUG_DETECTED, 'bug detected', True)
    older = StormSummary.from_data({**data, 'failures': ['#4304: 3 KeyError(s)'], 'shown': []})
    assert older.failures == [Finding(Code.UNRECORDED, '#4304: 3 KeyError(s)')] and older.result is Outcome.FAIL


def test_a_detection_that_names_its_bug_counts_as_a_detection():
    from tests.test_report import storm

    named = StormSummary.from_data(storm(known_bugs=['#4753'], expects_4304=True))
    assert (named.verdict, named.detected_4304) == ('bug detected (#4753)', True)
    missed = StormSummary.from_data(
        storm(
            'failed',
            failures=[
                Finding(Code.ISSUE_4304_MISSED, '#4304 not detected although the server runs an unguarded handler')
            ],
            bug_present=True,
            expects_4304=True,
        )
    )
    assert (missed.result, missed.detected_4304) == (Outcome.FAIL, False)
