"""The unread count for the header bell: one COUNT query, only for signed-in users and only
when a template actually shows it."""

from functools import cache


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .notify import unread_count

    # A callable: the template engine calls it on first use; cached for the other uses.
    return {"unread_notifications": cache(lambda: unread_count(user))}
