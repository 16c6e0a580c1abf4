from . import navigation


def shell(request):
    """What the base layout needs: the menu for this user and administrator warnings."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .scope import has_right
    from .workcalendar import coverage_warning

    return {
        "nav_main": navigation.entries_for(user, "main"),
        "nav_admin": navigation.entries_for(user, "admin"),
        "calendar_warning": coverage_warning()
        if has_right(user, "core.calendar", "change")
        else None,
    }
