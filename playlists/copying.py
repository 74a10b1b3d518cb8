"""Copy a station's data to another database: how a station moves from SQLite to PostgreSQL.

The target is migrated to the same schema, must hold no station data yet, and receives every
row with its ids, in an order that satisfies the foreign keys. The as-run log keeps its hash
chain: the copy is verified against the source's last row before it is declared done.
Scheduler jobs are not copied; the station makes them again from the plans at its next start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Table, func, insert, inspect, select, text

from playlists.asrun import ledger
from playlists.core.db import ensure_migrated
from playlists.core.errors import StateError
from playlists.tables import METADATA

BATCH = 1000
# Rows the migrations themselves put in an empty database (the plan's topics): replaced by
# the source's, which staff may have edited.
SEEDED = frozenset({"topics"})


@dataclass
class CopyReport:
    """How many rows of each table were copied, and the as-run log's last row on both sides."""

    rows: dict[str, int] = field(default_factory=dict)
    last_seq: int = 0
    last_hash: str = ledger.GENESIS_HASH


def copy_station(
    source: Engine, target: Engine, *, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy every row of the station at `source` into the empty database at `target`.

    Raises StateError (in Vietnamese) when the target already holds station data, or when the
    copied as-run log does not verify against the source's.
    """
    ensure_migrated(source)
    ensure_migrated(target)
    tables = [t for t in METADATA.sorted_tables if t.name in _station_tables(source)]
    with target.connect() as connection:
        filled = [
            t.name
            for t in tables
            if t.name not in SEEDED
            and connection.execute(select(func.count()).select_from(t)).scalar()
        ]
    if filled:
        raise StateError(
            "Cơ sở dữ liệu đích đã có dữ liệu của một đài (bảng "
            f"{', '.join(filled)}); chỉ chép vào cơ sở dữ liệu trống.",
            f"target not empty: {filled}",
        )
    report = CopyReport()
    with source.connect() as reading, target.begin() as writing:
        for seeded in SEEDED:
            writing.execute(METADATA.tables[seeded].delete())
        for table in tables:
            count = 0
            rows = reading.execute(select(table).execution_options(yield_per=BATCH))
            for batch in rows.partitions(BATCH):
                writing.execute(insert(table), [dict(row._mapping) for row in batch])
                count += len(batch)
            report.rows[table.name] = count
            if progress is not None:
                progress(table.name, count)
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing, tables)
    with source.connect() as reading, target.connect() as written:
        before, after = ledger.verify(reading), ledger.verify(written)
    same_end = (after.last_seq, after.last_hash) == (before.last_seq, before.last_hash)
    if not (after.ok and same_end):
        raise StateError(
            "Nhật ký phát sóng chép sang không khớp bản gốc; "
            "hãy xóa cơ sở dữ liệu đích và chép lại.",
            f"ledger mismatch after copy: {after} vs {before}",
        )
    report.last_seq, report.last_hash = after.last_seq, after.last_hash
    return report


def _station_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Let new rows on PostgreSQL continue after the copied ids."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].name != "id":
            continue  # no sequence: a date key (day plans) or a pair (zones of a slot)
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name},
        )
