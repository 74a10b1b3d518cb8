"""Hostile input, as a tester with no account (or any) sends it: a 4xx, never a 500, nothing kept.

Bodies are counted as they arrive and refused at the limit (web/limits.py), before sign-in or
any route reads them: the app is driven here chunk by chunk, as a server hands a body on,
and a real server answers a 2 GiB announcement without reading it. A refused upload leaves
no file. Ids, dates, lone surrogates, NUL bytes and odd digits get a Vietnamese 4xx.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.scheduler.test_processes import environment
from tests.sounds import tone
from web.app import create_app
from web.context import StationContext
from web.forms import parse_day, parse_int, whole_number
from web.settings import Settings

CHUNK = 64 * 1024
BODY_KB = 256  # the station's limit on an ordinary body, in these tests
UPLOAD_MB = 1  # and on a recording


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits, so that passing them costs the tests little."""
    return settings.model_copy(update={"max_body_kb": BODY_KB, "max_upload_mb": UPLOAD_MB})


@pytest.fixture
def spool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The folder every temporary file goes to during the test (uploads spool there)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# ------------------------------------------------------------------ bodies, chunk by chunk


def endless(first: bytes = b"") -> Iterator[bytes]:
    """A body that never ends: what a hostile client can send."""
    if first:
        yield first
    while True:
        yield b"0" * CHUNK


def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str], body: Iterator[bytes]
) -> tuple[int, dict[str, str], bytes, int]:
    """Drive the app as a server does, the body in chunks; return status, headers, body, and
    how many chunks the app took."""
    taken = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    head = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], head, answer, taken


@pytest.fixture
def app(ctx: StationContext) -> FastAPI:
    return create_app(ctx, run_scheduler=False)


def test_a_json_body_is_refused_at_the_chunk_that_passes_the_limit(app: FastAPI) -> None:
    status, head, answer, taken = call(
        app, "POST", "/api/bulletins", {"content-type": "application/json"}, endless(b"[")
    )
    assert status == 413
    assert head["content-type"] == "application/json"
    assert json.loads(answer) == {"detail": f"Dữ liệu gửi lên lớn quá: tối đa {BODY_KB} KB."}
    # Taken up to the chunk that passed the limit ("[" and four chunks of 64 KB), no further.
    assert taken == BODY_KB * 1024 // CHUNK + 1


MULTIPART = "multipart/form-data; boundary=ranh-gioi"
FILE_PART = (
    b"--ranh-gioi\r\n"
    b'Content-Disposition: form-data; name="file"; filename="ghi-am.wav"\r\n'
    b"Content-Type: audio/wav\r\n\r\n"
)


# The upload's larger limit goes only to requests that may be signed in (a cookie or a token;
# checked later by the route): tests/web/test_permissions.py gives nobody the small one.
SIGNED = {"authorization": "Bearer loa_chua-kiem-tra"}


def test_an_upload_is_refused_at_the_recording_limit_and_leaves_no_file(
    app: FastAPI, ctx: StationContext, spool: Path
) -> None:
    status, _head, answer, taken = call(
        app, "POST", "/api/bulletins/recording", {"content-type": MULTIPART} | SIGNED,
        endless(FILE_PART),
    )  # fmt: skip
    assert status == 413
    assert json.loads(answer) == {"detail": f"Tệp gửi lên lớn quá: tối đa {UPLOAD_MB} MB."}
    limit = UPLOAD_MB * 1024 * 1024 + BODY_KB * 1024
    assert taken <= limit // CHUNK + 3
    assert list(spool.iterdir()) == []  # what the form parser spooled is gone
    assert not (ctx.settings.uploads_dir).exists() or not any(ctx.settings.uploads_dir.iterdir())


def test_a_page_says_it_in_a_short_vietnamese_page(app: FastAPI, spool: Path) -> None:
    status, head, answer, _ = call(
        app, "POST", "/ban-tin/moi", {"content-type": MULTIPART} | SIGNED, endless(FILE_PART)
    )
    assert status == 413 and head["content-type"].startswith("text/html")
    page = answer.decode()
    assert "Tệp gửi lên lớn quá: tối đa 1 MB." in page and 'lang="vi"' in page
    status, _, answer, _ = call(
        app, "POST", "/tu-dien", {"content-type": "application/x-www-form-urlencoded"}, endless()
    )
    assert status == 413 and "Dữ liệu gửi lên lớn quá" in answer.decode()
    assert list(spool.iterdir()) == []


def test_a_body_announced_too_large_is_refused_before_a_byte_is_read(app: FastAPI) -> None:
    status, _, answer, taken = call(
        app, "POST", "/api/bulletins/recording",
        {"content-type": MULTIPART, "content-length": str(2 * 1024**3)} | SIGNED, endless(),
    )  # fmt: skip
    assert (status, taken) == (413, 0)
    assert "tối đa 1 MB" in json.loads(answer)["detail"]


def test_a_small_body_goes_on_to_the_app(app: FastAPI) -> None:
    small = iter([b'{"title": "x"}'])
    status, _, _, taken = call(
        app, "POST", "/api/bulletins", {"content-type": "application/json"}, small
    )
    assert status in (401, 403, 422)  # the app answered: sign-in, or the fields
    assert taken == 2  # the body, then its end


@pytest.fixture
def station(ctx: StationContext) -> StationContext:
    """The station the real server (tests/web/conftest.py `server`) runs."""
    return ctx


def test_a_real_server_answers_a_2_gib_upload_without_waiting_for_it(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/bulletins/recording HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: " + MULTIPART.encode() + b"\r\nAuthorization: Bearer loa_x\r\n"
            b"Content-Length: 2147483648\r\n\r\n" + FILE_PART
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["detail"] == "Tệp gửi lên lớn quá: tối đa 1 MB."


# ------------------------------------------------------------------ uploads leave nothing


def wav(tmp_path: Path) -> Path:
    return tone(tmp_path / "ghi-am.wav", hz=300, seconds=2, volume_db=-20)


def kept_files(ctx: StationContext) -> list[str]:
    folders = [ctx.settings.uploads_dir, ctx.settings.media_dir / "recordings"]
    return sorted(str(p) for folder in folders if folder.exists() for p in folder.iterdir())


def bulletin(ctx: StationContext, **changes: Any) -> str:
    today = ctx.today()
    data = {"title": "Ghi âm", "first_day": str(today), "last_day": str(today), "zone_ids": [1]}
    return json.dumps(data | changes)


def test_a_refused_upload_leaves_no_file_behind(
    client: TestClient, ctx: StationContext, tmp_path: Path, spool: Path
) -> None:
    recording = wav(tmp_path)
    for data in (bulletin(ctx, title=""), bulletin(ctx, zone_ids=[99])):
        with recording.open("rb") as fh:
            refused = client.post(
                "/api/bulletins/recording", data={"data": data},
                files={"file": ("ghi-am.wav", fh, "audio/wav")},
            )  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert kept_files(ctx) == []

    today = str(ctx.today())
    form = {"title": "", "first_day": today, "last_day": today, "zone_ids": "1", "topic": "8"}
    with recording.open("rb") as fh:
        page = client.post(
            "/ban-tin/moi", data=form, files={"recording": ("ghi-am.wav", fh, "audio/wav")}
        )
    assert page.status_code == 422, page.text
    assert kept_files(ctx) == []

    with recording.open("rb") as fh:
        saved = client.post(
            "/api/bulletins/recording", data={"data": bulletin(ctx)},
            files={"file": ("ghi-am.wav", fh, "audio/wav")},
        )  # fmt: skip
    assert saved.status_code == 201, saved.text
    assert len(kept_files(ctx)) == 3  # the master, what describes it, the upload as received
    assert list(spool.iterdir()) == []


def test_an_upload_named_with_a_nul_byte_is_refused(
    client: TestClient, ctx: StationContext, tmp_path: Path
) -> None:
    # Raw, as a hostile client sends it: a well-behaved one writes the NUL as %00.
    raw = (
        b"--ranh-gioi\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n"
        + bulletin(ctx).encode()
        + b"\r\n" + FILE_PART.replace(b"ghi-am.wav", b"ghi\x00am.wav")
        + wav(tmp_path).read_bytes() + b"\r\n--ranh-gioi--\r\n"
    )  # fmt: skip
    refused = client.post(
        "/api/bulletins/recording", content=raw, headers={"content-type": MULTIPART}
    )
    assert refused.status_code == 422, refused.text
    assert "Tên tệp ghi âm" in refused.json()["errors"]["recording"]
    assert kept_files(ctx) == []


# ------------------------------------------------------------------ numbers, dates, names


@pytest.mark.parametrize(
    "path",
    [
        "/api/bulletins/87112776236555627921408",
        "/api/bulletins/0",
        "/api/bulletins/2147483648/audio",
        "/api/plan/0001-01-01",
        "/api/plan/9999-12-31",
        "/api/airlog?from=0001-01-01&to=2026-01-01",
        "/api/airlog?from=2026-01-01&to=9999-12-31",
        "/api/airlog?from=2026-01-01&to=2026-01-02&zone_id=99999999999999999999",
        "/api/airlog?from=2026-01-01&to=2026-01-02&zone_id=%C2%B2",
        "/api/airlog?from=2026-01-01&to=2026-01-02&zone_id=%D9%A3",
    ],
)
def test_numbers_and_days_out_of_bounds_are_refused_by_field(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["detail"] == "Dữ liệu gửi lên không hợp lệ." and problem["errors"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"zone_ids": [2**40]}, "zone_ids.0"),
        ({"topic": 504420301939402621321216}, "topic"),
        ({"first_day": "0001-01-01"}, "first_day"),
        ({"last_day": "9999-12-31"}, "last_day"),
    ],
)
def test_a_bulletin_past_the_bounds_is_refused(
    client: TestClient, ctx: StationContext, changes: dict[str, Any], field: str
) -> None:
    data = json.loads(bulletin(ctx, text="Thông báo.")) | changes
    answer = client.post("/api/bulletins", json=data)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["errors"]


def test_a_bulletin_runs_at_most_five_years_ahead(client: TestClient, ctx: StationContext) -> None:
    far = ctx.today() + timedelta(days=6 * 366)
    answer = client.post("/api/bulletins", json=json.loads(bulletin(ctx, last_day=str(far))))
    assert answer.status_code == 422
    assert "5 năm tới" in answer.json()["errors"]["last_day"]


def test_a_lone_surrogate_in_json_is_refused(client: TestClient, ctx: StationContext) -> None:
    raw = (
        bulletin(ctx, text="x").replace('"Ghi \\u00e2m"', '"\\ud800"').replace("Ghi âm", "\\ud800")
    )
    answer = client.post(
        "/api/bulletins", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert "UTF-16" in answer.json()["errors"]["title"]


@pytest.mark.parametrize(
    "path",
    ["/am-thanh/%00", f"/am-thanh/{'a' * 63}%00", "/am-thanh/ban-sao/x%00.mp3",
     "/am-thanh/ban-sao/..%2Floa.db", "/ban-tin/99999999999999999999"],
)  # fmt: skip
def test_odd_names_and_ids_in_page_addresses_are_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/lich-phat?ngay=31/12/9999", "/lich-phat?ngay=01/01/0001",
     "/lich-phat/9999-12-31/cum-1.m3u8", "/nhat-ky.csv?tu=01/01/0001"],
)  # fmt: skip
def test_days_out_of_bounds_in_page_addresses_are_refused(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400
    assert "nằm ngoài khoảng đài xử lý được" in answer.text


def test_the_log_page_shows_what_it_can_of_an_odd_address(client: TestClient) -> None:
    for query in ("cum=99999999999999999999999", "trang=99999999999999999999", "tu=01/01/0001"):
        assert client.get(f"/nhat-ky?{query}").status_code == 200


def test_forms_read_numbers_and_days_in_ascii_digits_within_bounds() -> None:
    errors: dict[str, str] = {}
    assert parse_int("٣", "a", errors, "số lần") is None
    assert parse_int("²", "b", errors, "số lần") is None
    assert parse_int("9" * 15, "c", errors, "số lần") is None
    assert parse_int(" -5 ", "d", errors, "số lần") == -5
    assert parse_day("٠١/٠١/٢٠٢٦", "e", errors, "ngày") is None
    assert parse_day("31/12/9999", "f", errors, "ngày") is None
    assert set(errors) == {"a", "b", "c", "e", "f"}
    assert "chữ số 0-9" in errors["a"] and "lớn quá" in errors["c"]
    assert [whole_number(v) for v in ("2", "²", "٣", "2147483648", "")] == [
        2,
        None,
        None,
        None,
        None,
    ]


# ------------------------------------------------------------------ what the API publishes


def test_the_published_schema_describes_every_refusal(client: TestClient) -> None:
    published = client.get("/api/openapi.json").json()
    schemas = published["components"]["schemas"]
    assert set(schemas["InputProblem"]["required"]) == {"detail", "errors"}
    assert "HTTPValidationError" not in schemas
    for path, operations in published["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            refs = {
                code: answers[code]["content"]["application/json"]["schema"]["$ref"]
                for code in ("404", "409", "413", "422")
            }
            assert refs["422"].endswith("/InputProblem"), (method, path)
            assert all(refs[c].endswith("/Problem") for c in ("404", "409", "413")), path


# ------------------------------------------------------------------ secrets in settings


def test_a_bad_database_url_is_not_printed_with_its_password(ctx: StationContext) -> None:
    env = environment(ctx) | {"LOA_DATABASE_URL": "mysql://loa:Bi-mat@123@127.0.0.1/loa"}
    loa = Path(__file__).parents[2] / ".venv" / "bin" / "loa"
    done = subprocess.run([str(loa), "zone", "list"], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "LOA_DATABASE_URL" in done.stderr and "loa:***@127.0.0.1/loa" in done.stderr
    assert "Bi-mat" not in done.stderr + done.stdout
