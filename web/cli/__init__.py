"""The `loa` command line: run the station and do everything the pages do, from a shell.

Every command reads its settings from `LOA_*` variables (LOA_DATA_DIR first of all). A refused
input prints its reason in Vietnamese on stderr and exits with status 2; nothing is half-saved.
One module per area; each registers its commands on the app in web/cli/common.py.
"""

from __future__ import annotations

from web.cli import airlog, bulletins, db, emergencies, lexicon, plan, slots, speech, station
from web.cli.common import app

AREAS = (station, speech, bulletins, plan, slots, airlog, emergencies, lexicon, db)


def main() -> None:
    """Run the `loa` command."""
    app()
