"""The judgement after NiceGUI's own prune, server side, with stand-ins for NiceGUI: the suite shortens the period of
NiceGUI's prune timer and counts its runs, and ages clients without ever pruning them itself."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

from starlette.requests import Request

from nicegui_e2e.instrument import Ledger, count_prunes, prune_endpoint
from nicegui_e2e.wire import PRUNE_AGE, PRUNE_PERIOD


class Client:
    """NiceGUI's Client of 2.24 and later, as far as the prune goes: one run per call of prune_instances."""

    instances: ClassVar[dict[str, Any]] = {}
    deleted: ClassVar[list[str]] = []

    def __init__(self, client_id: str, created: float) -> None:
        self.id, self.created, self.shared = client_id, created, False

    @classmethod
    def prune_instances(cls, *, client_age_threshold: float = 60.0) -> None:
        for client in list(cls.instances.values()):
            if client.created <= 1000.0 - client_age_threshold:
                cls.deleted.append(client.id)
                del cls.instances[client.id]


class LoopClient:
    """NiceGUI's Client before 2.24: prune_instances is the endless prune loop itself."""

    @classmethod
    async def prune_instances(cls) -> None:
        raise AssertionError("the loop is NiceGUI's to start")


class App:
    """NiceGUI's App, whose ``timer`` attribute is its Timer class."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, Any]] = []
        self.timer = lambda interval, callback, **_: self.timers.append((interval, callback))


def loopback() -> Request:
    return Request({'type': 'http', 'method': 'POST', 'path': '/', 'headers': [], 'client': ('127.0.0.1', 1)})


def test_the_prune_timer_runs_every_period_and_its_runs_are_counted() -> None:
    ledger, app = Ledger(), App()
    assert count_prunes(ledger, client_cls=Client, app=app) == 'timer' and ledger.prune_runs == 0
    app.timer(10, Client.prune_instances)  # what NiceGUI does at startup
    app.timer(10, print)
    (period, prune), (other, _) = app.timers
    assert (period, other) == (PRUNE_PERIOD, 10)
    prune()
    prune()
    assert ledger.prune_runs == 2


def test_a_prune_loop_is_left_alone_and_not_counted() -> None:
    ledger, app = Ledger(), App()
    timer = app.timer
    assert count_prunes(ledger, client_cls=LoopClient, app=app) == 'loop'
    assert ledger.prune_runs is None and app.timer is timer


def test_the_endpoint_ages_the_storm_s_clients_and_prunes_nothing() -> None:
    """A NiceGUI whose prune never runs keeps every client: the suite's endpoint is no prune of its own."""
    ledger = Ledger()
    count_prunes(ledger, client_cls=Client, app=App())
    Client.instances = {'old': Client('old', 900.0), 'storm': Client('storm', 1000.0)}
    answer = asyncio.run(prune_endpoint(ledger, Client, 'timer')(loopback(), since=950.0))
    assert json.loads(answer.body) == {'aged': 1, 'how': 'timer', 'runs': 0}
    assert Client.instances['storm'].created == 1000.0 - PRUNE_AGE and not Client.deleted
    Client.prune_instances()  # NiceGUI's timer, on its own schedule
    assert sorted(Client.deleted) == ['old', 'storm'] and ledger.prune_runs == 1


class Aging:
    """The suite's side of a server whose prune timer has run once since the clients were aged: ``gone_after``
    polls later, the storm's client is deleted (its own deletion was pending), or never where it is None."""

    def __init__(self, gone_after: int | None) -> None:
        self.polls, self.gone_after = 0, gone_after

    def prune(self, since: float) -> dict[str, Any]:
        return {'aged': 1, 'how': 'timer', 'runs': 0}

    def diagnostics(self, since: int, collect: bool = False) -> dict[str, Any]:
        self.polls += 1
        there = self.gone_after is None or self.polls < self.gone_after
        client = {'id': 'left-late', 'looks_connected': False}
        return {'clients': [client] if there else [], 'prune_runs': 1, 'reconnect_timeout': 0.2, 'tasks': {}}


def test_a_client_whose_deletion_was_pending_at_the_prune_is_given_its_reconnect_timeout(monkeypatch) -> None:
    """A socket whose end the server heard after the settle leaves its client a deletion pending, which NiceGUI's
    prune skips: the client goes on its own within the reconnect timeout, and is no finding. One that never goes
    is one."""
    from nicegui_e2e import lifecycle

    monkeypatch.setattr(lifecycle, 'SETTLE_GRACE', 0.5)
    monkeypatch.setattr(lifecycle, 'TASK_WIND_DOWN', 0.0)
    events = [{'t': 1.0, 'kind': 'page', 'client': 'left-late'}]
    assert lifecycle.after_prune(Aging(gone_after=4), 0.0, events, {}).clients == 0  # type: ignore[arg-type]
    assert lifecycle.after_prune(Aging(gone_after=None), 0.0, events, {}).clients == 1  # type: ignore[arg-type]
