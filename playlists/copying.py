"""Copy a station's data to another database: how a station moves from SQLite to PostgreSQL.

The target is migrated to the same schema, must hold no station data yet, and receives every
row with its ids, in an order that satisfies the foreign keys. The hash-chained logs (the
as-run log, the audit trail) keep their chains: each copy is verified against the source's last
row before it is declared done.
Scheduler jobs are not copied; the station makes them again from the plans at its next start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, inspect, select, text

from playlists.asrun import ledger
from playlists.audit.service import AUDIT
from playlists.core.chain import Chain
from playlists.core.db import ensure_migrated
from playlists.core.errors import StateError
from playlists.tables import METADATA

BATCH = 1000
# Rows the migrations themselves put in an empty database (the plan's topics, the home
# ward's row): replaced by the source's, which staff may have edited.
SEEDED = frozenset({"topics", "wards"})
# The hash-chained tables: each must verify on the target and end where the source's ends.
CHAINS: tuple[Chain[Any], ...] = (ledger.AIRLOG, AUDIT)


@dataclass
class CopyReport:
    """How many rows of each table were copied, and each chain's last row on both sides.

    `last_seq`/`last_hash` are the as-run log's (what staff check first); `chains` holds
    every chain's, by table.
    """

    rows: dict[str, int] = field(default_factory=dict)
    last_seq: int = 0
    last_hash: str = ledger.GENESIS_HASH
    chains: dict[str, tuple[int, str]] = field(default_factory=dict)


def copy_station(
    source: Engine, target: Engine, *, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy every row of the station at `source` into the empty database at `target`.

    Raises StateError (in Vietnamese) when the target already holds station data, or when a
    copied chain (the as-run log, the audit trail) does not verify against the source's.
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
        copy_rows(reading, writing, tables, report, progress=progress)
    with source.connect() as reading, target.connect() as written:
        verify_chains(reading, written, report)
    return report


Row = dict[str, Any]


def copy_rows(
    reading: Connection,
    writing: Connection,
    tables: list[Table],
    report: CopyReport,
    *,
    progress: Callable[[str, int], None] | None = None,
    change: Callable[[str, Row], Row] = lambda _table, row: row,
) -> None:
    """Copy every row of `tables` with its id, in batches, after removing the target's seeded
    rows; `change` may alter a row on the way (its table's name, the row). New rows on the
    target's sequences then continue after the copied ids."""
    for seeded in SEEDED & {t.name for t in tables}:
        writing.execute(METADATA.tables[seeded].delete())
    for table in tables:
        count = 0
        rows = reading.execute(select(table).execution_options(yield_per=BATCH))
        for batch in rows.partitions(BATCH):
            writing.execute(insert(table), [change(table.name, dict(r._mapping)) for r in batch])
            count += len(batch)
        report.rows[table.name] = count
        if progress is not None:
            progress(table.name, count)
    if writing.dialect.name == "postgresql":
        reset_sequences(writing, tables)


def verify_chains(reading: Connection, written: Connection, report: CopyReport) -> None:
    """Check that each chain copied verifies and ends where the source's ends; note the ends.

    Raises StateError (in Vietnamese) when one does not.
    """
    for chain in CHAINS:
        before, after = chain.verify(reading), chain.verify(written)
        same_end = (after.last_seq, after.last_hash) == (before.last_seq, before.last_hash)
        if not (after.ok and same_end):
            raise StateError(
                f"{chain.title} chép sang không khớp bản gốc; "
                "hãy xóa cơ sở dữ liệu đích và chép lại.",
                f"{chain.name} chain mismatch after copy: {after} vs {before}",
            )
        report.chains[chain.name] = (after.last_seq, after.last_hash)
    report.last_seq, report.last_hash = report.chains[ledger.AIRLOG.name]


def _station_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def reset_sequences(connection: Connection, tables: list[Table]) -> None:
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
