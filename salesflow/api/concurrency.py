"""Optimistic concurrency: every record read alone carries an ``ETag`` (the hash of its JSON as
this caller sees it); a write that sends ``If-Match`` with another tag gets 412 and changes
nothing. Without ``If-Match`` the write proceeds (last writer wins), as in the browser."""

from __future__ import annotations

import contextlib
import hashlib
import json

from django.db import transaction

from .errors import PreconditionFailed


def serialize(schema, obj, request):
    """The output schema instance of ``obj`` for this request (masking applies)."""
    return schema.model_validate(obj, context={"request": request})


def etag_of(instance) -> str:
    payload = json.dumps(instance.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32] + '"'


def with_etag(response, schema, obj, request):
    """Serialize ``obj`` and put its ETag on the (temporal) response."""
    instance = serialize(schema, obj, request)
    response["ETag"] = etag_of(instance)
    return instance


def _tags(header: str) -> set[str]:
    tags = set()
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        if part:
            tags.add(part)
    return tags


@contextlib.contextmanager
def guarded_write(request, *, model, pk: int, load, schema):
    """Run a write in one transaction; with ``If-Match`` first lock the row, read it again
    through its selector (scope applies: out of scope stays 404) and compare the tags."""
    header = request.headers.get("If-Match", "").strip()
    with transaction.atomic():
        if header:
            # A lock only (no joins), so that no other write slips between check and write.
            model._base_manager.select_for_update().filter(pk=pk).values_list("pk").first()
            current = etag_of(serialize(schema, load(), request))
            if header != "*" and current not in _tags(header):
                raise PreconditionFailed()
        yield
