"""The `loa` command line: run the station and do everything the pages do, from a shell.

Every command reads its settings from `LOA_*` variables (LOA_DATA_DIR first of all). A refused
input prints its reason in Vietnamese on stderr and exits with status 2; nothing is half-saved.
A command that changes something names who does it, `--by USERNAME`: a known, enabled user
whose roles allow it, recorded in the audit trail (web/cli/common.py `acting_as`).
One module per area; each registers its commands on the app in web/cli/common.py.
"""

from __future__ import annotations

from web.cli import (
    airlog,
    audit,
    bulletins,
    city,
    db,
    emergencies,
    lexicon,
    plan,
    player,
    reports,
    slots,
    speech,
    station,
    users,
    voices,
    wards,
)
from web.cli.common import app

AREAS = (
    station,
    speech,
    bulletins,
    plan,
    slots,
    airlog,
    reports,
    audit,
    emergencies,
    player,
    lexicon,
    voices,
    users,
    wards,
    city,
    db,
)


def main() -> None:
    """Run the `loa` command."""
    app()
