"""A database made by the version before tokens, the audit and dispatch numbers opens as it is:
the missing tables and columns are added and the dispatches numbered in creation order."""
from __future__ import annotations

import datetime as dt

from tui_notifier.core import dispatches
from tui_notifier.db import close_database, open_database


def _as_previous_version(db):
    db.execute_sql("DROP TABLE api_token")
    db.execute_sql("DROP TABLE audit_entry")
    db.execute_sql("DROP INDEX IF EXISTS dispatch_number")
    db.execute_sql("ALTER TABLE dispatch DROP COLUMN number")


def test_an_older_database_gains_tables_columns_and_numbers(db, database_url, new_dispatch, now):
    first = new_dispatch(now=now)
    second = new_dispatch(now=now + dt.timedelta(seconds=1))
    _as_previous_version(db)
    assert "number" not in {c.name for c in db.get_columns("dispatch")}
    close_database()

    upgraded = open_database(database_url)
    assert {"api_token", "audit_entry"} <= set(upgraded.get_tables())
    assert [dispatches.get_dispatch(d.id).number for d in (first, second)] == [1, 2]
    third = new_dispatch(now=now)
    assert third.number == 3
    assert dispatches.dispatch_by_number(3).id == third.id
    close_database()
    open_database(database_url)
    assert sorted(d.number for d in dispatches.list_dispatches()) == [1, 2, 3]
