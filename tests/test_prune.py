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
