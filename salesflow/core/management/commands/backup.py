"""``manage.py backup [PATH]``: a consistent copy of the SQLite database while the app runs.

Uses SQLite's online backup API, so readers and writers may keep working. For PostgreSQL use
``pg_dump`` (see docs/operations.md); this command refuses and says so.
"""

import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = "Back up the SQLite database with the online backup API (PostgreSQL: use pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="target file (default: var/backups/…)")
        parser.add_argument("--source", help="SQLite file to copy (default: the configured one)")

    def handle(self, *, path, source, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "This database is not SQLite: back it up with pg_dump (docs/operations.md)."
            )
        source_name = source or settings.DATABASES["default"]["NAME"]
        target = (
            Path(path)
            if path
            else (
                settings.DATA_DIR
                / "backups"
                / f"salesflow-{timezone.localtime():%Y%m%d-%H%M%S}.sqlite3"
            )
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise CommandError(f"{target} exists already; choose another name.")
        origin = sqlite3.connect(source_name)
        try:
            destination = sqlite3.connect(target)
            try:
                origin.backup(destination)
            finally:
                destination.close()
        finally:
            origin.close()
        check = sqlite3.connect(target)
        try:
            result = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
        if result != "ok":
            raise CommandError(f"integrity check of {target} failed: {result}")
        self.stdout.write(f"backup written: {target} ({target.stat().st_size} bytes)")
