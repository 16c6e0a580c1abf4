"""Per-request (or per-job) context: request id, client IP and a small read cache.

Set by ``RequestContextMiddleware`` for web requests and by ``job_context`` for background
jobs, so that audit entries and logs carry the same correlation id wherever work happens.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass
class WorkContext:
    request_id: str
    ip: str | None = None
    cache: dict = field(default_factory=dict)


_current: contextvars.ContextVar[WorkContext | None] = contextvars.ContextVar(
    "salesflow_work_context", default=None
)


def current() -> WorkContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def work_context(*, request_id: str | None = None, ip: str | None = None):
    token = _current.set(WorkContext(request_id=request_id or new_request_id(), ip=ip))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def job_context(name: str):
    """Context for a background job: its audit entries share one ``job:…`` request id."""
    return work_context(request_id=f"job:{name}:{uuid.uuid4().hex[:12]}")


def request_cache() -> dict:
    """A dict that lives as long as the current request or job (empty dict outside one)."""
    ctx = _current.get()
    return ctx.cache if ctx is not None else {}
