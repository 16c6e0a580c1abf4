"""``manage.py report NAME``: run a registered analysis exactly as its page does, in one user's
scope, and print or write the table (json, csv or xlsx). ``manage.py report --list`` names them.

Without ``--user`` the report runs as the first active superuser, else the first active user
holding a company-wide view of opportunities (a director or an administrator)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from salesflow.analytics import registry
from salesflow.analytics.registry import Params


def default_user():
    from salesflow.core.scope import scope_for
    from salesflow.org.models import User
    from salesflow.org.rights import DataScope

    superuser = User.objects.filter(is_active=True, is_superuser=True).order_by("id").first()
    if superuser is not None:
        return superuser
    candidates = (
        User.objects.filter(is_active=True, roles__permissions__object_type="opportunity")
        .distinct()
        .order_by("id")
    )
    for user in candidates[:200]:
        if scope_for(user, "opportunity", "view") == DataScope.COMPANY and scope_for(
            user, "report", "view"
        ):
            return user
    return None


def _json_value(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value if isinstance(value, int | float | str | bool) else str(value)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Run a registered analysis (the same figures as its page) and output its table."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="analysis name (see --list)")
        parser.add_argument("--list", action="store_true", help="list the analyses")
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")
        parser.add_argument("--group-by", dest="group_by", default="")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="analysis filter, e.g. template=1, team=3, detail=stages, cohort=entered",
        )
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", help="file to write (required for xlsx)")
        parser.add_argument("--user", help="username whose data scope applies")

    def handle(self, *args, **options):
        if options["list"]:
            for analysis in registry.all_analyses():
                self.stdout.write(f"{analysis.name}\t{analysis.title}")
            return
        name = options["name"]
        if not name:
            raise CommandError("give an analysis name or --list")
        try:
            analysis = registry.get(name)
        except KeyError:
            raise CommandError(f"unknown analysis {name!r}; see --list") from None
        user = self._user(options["user"])
        from salesflow.core.scope import has_right

        if not has_right(user, analysis.object_type, "view"):
            raise CommandError(f"{user} may not view {analysis.object_type}")
        if (
            options["group_by"]
            and analysis.group_by_choices
            and (options["group_by"] not in analysis.group_by_choices)
        ):
            raise CommandError(f"--group-by must be one of {', '.join(analysis.group_by_choices)}")
        extra = {}
        for item in options["option"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--option needs KEY=VALUE, got {item!r}")
            extra[key.strip()] = value.strip()
        params = Params(
            date_from=_date(options["date_from"]) if options["date_from"] else None,
            date_to=_date(options["date_to"]) if options["date_to"] else None,
            group_by=options["group_by"] or "",
            extra=extra,
        )
        result = analysis.compute(user, params)
        self._write(analysis, result, options)

    def _user(self, username):
        from salesflow.org.models import User

        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
            return user
        user = default_user()
        if user is None:
            raise CommandError("no company-scope user found; pass --user")
        return user

    def _write(self, analysis, result, options):
        from salesflow.core.exports import build_csv, build_xlsx, neutralise

        headers, rows = result.table()
        fmt, output = options["format"], options["output"]
        if fmt == "json":
            payload = {
                "name": analysis.name,
                "title": str(analysis.title),
                "columns": [key for key, _label in result.columns],
                "headers": headers,
                "rows": [
                    {key: _json_value(row.get(key)) for key, _label in result.columns}
                    for row in result.rows
                ],
                "totals": (
                    {key: _json_value(result.totals.get(key)) for key, _l in result.columns}
                    if result.totals
                    else None
                ),
                "notes": [str(n) for n in result.notes],
            }
            body = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
        else:
            cells = [[neutralise(registry.cell(v)) for v in row] for row in rows]
            if fmt == "csv":
                body = build_csv(cells, headers)
            else:
                if not output:
                    raise CommandError("--format xlsx needs --output FILE")
                body = build_xlsx(cells, headers, str(analysis.title))
        if output:
            with open(output, "wb") as fh:
                fh.write(body)
        else:
            self.stdout.write(body.decode("utf-8"))
