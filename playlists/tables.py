"""Every table of the station, so that Base.metadata is whole (Alembic, the database copy)."""

from __future__ import annotations

from playlists.accounts import models as accounts
from playlists.alerts import models as alerts
from playlists.asrun import models as asrun
from playlists.audit import models as audit
from playlists.bulletins import models as bulletins
from playlists.core.db import Base
from playlists.emergencies import models as emergencies
from playlists.lexicon import models as lexicon
from playlists.planning import models as planning
from playlists.replica import models as replica
from playlists.reports import models as reports
from playlists.slots import models as slots
from playlists.wards import models as wards

AREAS = (
    accounts,
    slots,
    bulletins,
    planning,
    asrun,
    audit,
    alerts,
    emergencies,
    lexicon,
    reports,
    replica,
    wards,
)
METADATA = Base.metadata
