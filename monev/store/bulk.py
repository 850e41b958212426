"""Writing many rows at once, the fastest way each database offers: ``COPY … FROM
STDIN`` on PostgreSQL (one statement however many rows: a per-row INSERT costs a
round trip per row there, even pipelined), a plain executemany on SQLite (in-process,
already cheap). Both inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; columns left
    out take their defaults."""
    if not rows:
        return
    table: Table = model.__table__
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    # only JSON columns need converting (to their text): checked once, not per value
    as_json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        write = copy.write_row
        for row in rows:
            values = [row[c] for c in columns]
            for i in as_json:
                values[i] = _copyable(values[i])
            write(values)


def next_ids(session: Session, model: Any, n: int) -> list[int]:
    """``n`` new ids for ``model``'s table, in one statement on PostgreSQL (drawn from its
    sequence); ``[]`` on other databases, which number rows as they insert them."""
    conn = session.connection()
    if n <= 0 or conn.dialect.name != "postgresql":
        return []
    table: Table = model.__table__
    return list(conn.execute(text(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
        "FROM generate_series(1, :n)"), {"n": n}).scalars())


def insert_returning_ids(session: Session, model: Any,
                         rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their new ids, in order. On PostgreSQL the ids are
    drawn from the table's sequence first, then the rows are copied in with them."""
    if not rows:
        return []
    table: Table = model.__table__
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              list(rows))
        return [row[0] for row in result]
    ids = next_ids(session, model, len(rows))
    insert_rows(session, model, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids


def _copyable(value: Any) -> Any:
    """COPY takes JSON columns as their text."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value
