"""What a person typed is shown as text everywhere: pages, the audit trail, its CSV export."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from tests.people import add_person
from web.context import StationContext

SCRIPT = "<script>alert('x')</script>"
FORMULA = '=HYPERLINK("http://evil.example","bấm")'


def test_typed_markup_is_escaped_on_every_page_and_formulas_are_defused_in_the_csv(
    client: TestClient, ctx: StationContext
) -> None:
    with session_scope(ctx.sessions) as session:
        add_person(session, "hacker", Role.EDITOR)
    admin = client.post(
        "/quan-tri/nguoi-dung",
        data={"username": "ten.la", "display_name": f"{FORMULA} {SCRIPT}", "roles": ["editor"]},
    )
    assert admin.status_code == 200, admin.text
    today = ctx.today().isoformat()
    created = client.post("/api/bulletins", json={
        "title": f"Tin {SCRIPT}", "text": f"Nội dung {SCRIPT}", "topic": 8,
        "first_day": today, "last_day": today, "zone_ids": [1], "submit": False,
    })  # fmt: skip
    assert created.status_code == 201, created.text
    bulletin_id = created.json()["id"]
    for path in (
        "/ban-tin", f"/ban-tin/{bulletin_id}", f"/ban-tin/{bulletin_id}/sua",
        "/quan-tri/nguoi-dung", "/quan-tri/nhat-ky-thao-tac",
    ):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert "&lt;script&gt;" in page.text, path

    export = client.get(f"/quan-tri/nhat-ky-thao-tac.csv?tu={today}&den={today}")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), "no formula runs"
    assert any(FORMULA in cell for cell in cells), "the name is kept, as text"
