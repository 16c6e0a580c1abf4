import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_backup_copies_the_sqlite_database(tmp_path):
    if connection.vendor != "sqlite":
        with pytest.raises(CommandError, match="pg_dump"):
            call_command("backup", str(tmp_path / "x.sqlite3"))
        return
    db_file = tmp_path / "live.sqlite3"
    # The test database lives in memory: copy it to a file first, then back that file up.
    live = sqlite3.connect(db_file)
    connection.ensure_connection()
    connection.connection.backup(live)
    live.close()
    target = tmp_path / "copy.sqlite3"
    call_command("backup", str(target), "--source", str(db_file))
    copy = sqlite3.connect(target)
    assert copy.execute("select count(*) from org_role").fetchone()[0] == 10
    copy.close()
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(target), "--source", str(db_file))
