"""In-process business events between modules, called explicitly by services.

A lower module announces a fact (``emit("lead.screened", lead_id=…)``) without importing the
module that reacts to it (the follow-up cadence lives above leads and customers). Handlers run
synchronously inside the service's transaction, so they commit or roll back with it.
"""

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(name: str, handler: Callable) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def emit(name: str, **payload) -> None:
    for handler in list(_handlers.get(name, ())):
        handler(**payload)
