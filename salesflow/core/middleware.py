import re
import time

from django.contrib.auth import logout
from django.shortcuts import redirect

from . import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def client_ip(request) -> str | None:
    """The client's address. Behind N trusted reverse proxies (setting TRUSTED_PROXY_COUNT,
    environment variable of the same name) the Nth address from the right of
    X-Forwarded-For is the client; without proxies X-Forwarded-For is ignored, since a
    client can write anything there."""
    from django.conf import settings

    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (or keeps a well-formed X-Request-ID from the proxy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else context.new_request_id()
        with context.work_context(request_id=request_id, ip=client_ip(request)):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class IdleTimeoutMiddleware:
    """Signs a user out after the idle time of the ``session.idle_hours`` setting."""

    KEY = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from .settings_registry import get_setting

            now = int(time.time())
            last = request.session.get(self.KEY)
            idle_seconds = int(get_setting("session.idle_hours") * 3600)
            if last is not None and now - int(last) > idle_seconds:
                logout(request)
                return redirect(f"{redirect('login').url}?next={request.path}")
            if last is None or now - int(last) > 60:  # write the session at most once a minute
                request.session[self.KEY] = now
        return self.get_response(request)
