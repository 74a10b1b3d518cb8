"""Every `loa` command, run as a person runs it: a real process, a real data folder.

The demo station's accounts act (`--by`): bientap writes, duyet approves, vanhanh operates.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audio.sound.files import probe
from playlists.accounts.roles import Role
from playlists.core.db import make_engine, make_session_factory, session_scope
from tests.icecast_server import free_port
from tests.people import add_person

LOA = str(Path(sys.executable).parent / "loa")


def station_today() -> date:
    """Return today's date where the station is (not where the test machine is)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def run(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
        "LOA_DATA_DIR": str(data_dir),
        "LOA_TTS_ENGINES": "offline",
        "LOA_OUTPUT": "file",
    }
    environment |= env or {}
    # Never the test runner's terminal: `loa init` would ask for the first admin there.
    return subprocess.run(
        [LOA, *args], input=stdin or "", capture_output=True, text=True, env=environment,
        timeout=300,
    )  # fmt: skip


def add_people(data: Path, **people: Role | tuple[Role, ...]) -> None:
    """Give an initialised station users (username=roles); they sign in with tests.people's
    PASSWORD."""
    engine = make_engine(f"sqlite:///{data / 'loa.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            for username, roles in people.items():
                add_person(session, username, *(roles if isinstance(roles, tuple) else (roles,)))
    finally:
        engine.dispose()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    done = run(data, "init", "--demo")
    assert done.returncode == 0, done.stderr
    assert "Đã tạo đài mẫu" in done.stdout
    return data


def test_init_is_idempotent_and_demo_only_fills_an_empty_station(demo: Path) -> None:
    again = run(demo, "init", "--demo")
    assert again.returncode == 0
    assert "không tạo đài mẫu" in again.stdout
    assert (demo / "loa.db").exists()


def test_normalize_one_text_and_line_by_line(tmp_path: Path) -> None:
    one = run(tmp_path, "normalize", "UBND phường họp lúc 14:00")
    assert one.stdout.strip() == "ủy ban nhân dân phường họp lúc mười bốn giờ"
    lines = run(tmp_path, "normalize", "--lines", stdin="Có 21 hồ sơ\n\nTTHC\n")
    assert lines.stdout.splitlines() == ["Có hai mươi mốt hồ sơ", "", "thủ tục hành chính"]


def test_say_writes_mastered_speech(tmp_path: Path) -> None:
    out = tmp_path / "loi-chao.mp3"
    done = run(tmp_path / "data", "say", "Xin chào bà con", "-o", str(out), "--engine", "offline")
    assert done.returncode == 0, done.stderr
    info = probe(out)
    assert info.channels == 1 and info.duration_s > 0.5
    assert info.codec == "mp3", "the file is in the format its name asks for"
    assert "espeak-ng" in done.stdout


def test_a_fallback_to_the_offline_voice_is_one_vietnamese_line(demo: Path, tmp_path: Path) -> None:
    """gTTS cannot connect (its proxy, on this machine, refuses): the command says in one
    Vietnamese line that the offline voice read it, and why; the network library's details,
    one per attempt, only with --verbose."""
    refused = {"LOA_TTS_ENGINES": "gtts,offline", "HTTPS_PROXY": f"http://127.0.0.1:{free_port()}",
               "LOA_GTTS_TIMEOUT_S": "5"}  # fmt: skip
    out = tmp_path / "tin.wav"
    quiet = run(demo, "say", "Phường nhắc lịch tiếp dân.", "-o", str(out), env=refused)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.splitlines() == [
        "Lưu ý: đã đọc bằng giọng dự phòng espeak-ng. Không kết nối được dịch vụ đọc văn bản "
        "trực tuyến (Google). Chi tiết: chạy lại với --verbose."
    ]
    assert "espeak-ng" in quiet.stdout and probe(out).duration_s > 0.5
    told = run(demo, "say", "Phường nhắc lịch tiếp dân.", "-o", str(out), "--verbose", env=refused)
    assert told.returncode == 0 and "speech engine gtts failed" in told.stderr
    assert "ProxyError" in told.stderr and "Lưu ý: đã đọc bằng giọng dự phòng" in told.stderr
    # A bulletin the approver approves while gTTS is away: the same line, and nothing else.
    text = tmp_path / "tin.txt"
    text.write_text("Lịch tiếp công dân tuần này.", "utf-8")
    day = (station_today() + timedelta(days=1)).isoformat()
    adding = ["bulletin", "add", "--title", "Tiếp dân", "--text-file", str(text), "--from", day,
              "--to", day, "--per-day", "1", "--by", "bientap"]  # fmt: skip
    added = run(demo, *adding, env=refused)
    assert added.returncode == 0, added.stderr
    approved = run(demo, "bulletin", "approve", added.stdout.strip(), "--by", "duyet",
                   env=refused)  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert "Đã duyệt bản tin" in approved.stdout
    warned = [line for line in approved.stderr.splitlines() if " WARNING " in line]
    assert warned == [] and "Lưu ý: đã đọc bằng giọng dự phòng espeak-ng." in approved.stderr


def test_bulletin_plan_play_and_export(demo: Path, tmp_path: Path) -> None:
    today = station_today()
    text = tmp_path / "tin.txt"
    text.write_text("Hạn nộp hồ sơ là ngày 15/12/2026. Mọi thắc mắc gọi 0912 345 678.", "utf-8")
    added = run(
        demo, "bulletin", "add", "--title", "Hạn nộp hồ sơ", "--text-file", str(text),
        "--from", today.isoformat(), "--to", (today + timedelta(days=5)).isoformat(),
        "--per-day", "2", "--topic", "8", "--priority", "ưu tiên",
        "--zone", "Cụm loa trung tâm", "--by", "bientap",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    bulletin_id = int(added.stdout.strip())
    assert f"{bulletin_id}\tChờ duyệt" in run(demo, "bulletin", "list").stdout
    own = run(demo, "bulletin", "approve", str(bulletin_id), "--by", "bientap")
    assert own.returncode == 2 and "cần vai trò Lãnh đạo duyệt" in own.stderr
    approved = run(demo, "bulletin", "approve", str(bulletin_id), "--by", "duyet")
    assert approved.returncode == 0, approved.stderr
    assert f"Đã duyệt bản tin số {bulletin_id}" in approved.stdout

    tomorrow = (today + timedelta(days=1)).isoformat()
    built = run(demo, "plan", "build", "--date", tomorrow, "--json", "--by", "vanhanh")
    assert built.returncode == 0, built.stderr
    plan = json.loads(built.stdout)
    assert set(plan) == {"date", "zones", "unplaced"}
    slots = plan["zones"][0]["slots"]
    assert [s["start"] for s in slots] == ["05:30:00", "17:00:00"]
    for slot in slots:
        assert set(slot) == {"slot", "start", "capacity_s", "items"}
        assert slot["items"][0]["bulletin_id"] == bulletin_id  # ưu tiên first, in both slots
        assert set(slot["items"][0]) == {"bulletin_id", "title", "start", "duration_s"}

    short = run(demo, "plan", "show", "--date", tomorrow)
    assert "Lịch phát ngày" in short.stdout and "Hạn nộp hồ sơ" in short.stdout
    assert json.loads(run(demo, "plan", "show", "--date", tomorrow, "--json").stdout) == plan


def test_an_approver_returns_a_bulletin_with_a_reason(demo: Path, tmp_path: Path) -> None:
    text = tmp_path / "tin.txt"
    text.write_text("Lịch tiêm chủng tháng này.", "utf-8")
    day = (station_today() + timedelta(days=2)).isoformat()
    added = run(demo, "bulletin", "add", "--title", "Tiêm chủng", "--text-file", str(text),
                "--from", day, "--to", day, "--per-day", "1", "--by", "bientap")  # fmt: skip
    bulletin_id = added.stdout.strip()
    reasonless = run(demo, "bulletin", "return", bulletin_id, "--by", "duyet")
    assert reasonless.returncode == 2 and "Cần ghi lý do trả lại" in reasonless.stderr
    returned = run(demo, "bulletin", "return", bulletin_id, "--reason", "Ghi rõ địa điểm.",
                   "--by", "duyet")  # fmt: skip
    assert returned.returncode == 0, returned.stderr
    assert f"{bulletin_id}\tTrả lại" in run(demo, "bulletin", "list", "--status", "returned").stdout


def test_approve_at_once_only_where_one_person_may_write_and_approve(
    demo: Path, tmp_path: Path
) -> None:
    text = tmp_path / "tin.txt"
    text.write_text("Phường một người.", "utf-8")
    day = (station_today() + timedelta(days=2)).isoformat()
    people: dict[str, Role | tuple[Role, ...]] = {
        "mot.nguoi": (Role.EDITOR, Role.APPROVER),
        "chi.viet": Role.EDITOR,
    }
    add_people(demo, **people)
    adding = ["bulletin", "add", "--title", "Một người", "--text-file", str(text), "--from", day,
              "--to", day, "--per-day", "1", "--approve"]  # fmt: skip
    four_eyes = run(demo, *adding, "--by", "bientap")
    assert four_eyes.returncode == 2 and "LOA_ALLOW_SELF_APPROVAL" in four_eyes.stderr
    alone = {"LOA_ALLOW_SELF_APPROVAL": "true"}
    not_approver = run(demo, *adding, "--by", "chi.viet", env=alone)
    assert not_approver.returncode == 2 and "cần vai trò Lãnh đạo duyệt" in not_approver.stderr
    assert "Một người" not in run(demo, "bulletin", "list").stdout, "nothing half-saved"
    done = run(demo, *adding, "--by", "mot.nguoi", env=alone)
    assert done.returncode == 0, done.stderr
    assert f"{done.stdout.strip()}\tĐã duyệt" in run(demo, "bulletin", "list").stdout


def test_play_a_slot_now_and_export_the_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    today = station_today()
    text = tmp_path / "tin.txt"
    text.write_text("Thông báo ngắn.", "utf-8")
    assert run(data, "init").returncode == 0
    add_people(
        data, bientap=Role.EDITOR, duyet=Role.APPROVER, vanhanh=Role.OPERATOR, baocao=Role.REPORTER
    )
    # A station with one zone and one slot, made through the library (slot commands come later).
    subprocess.run(
        [sys.executable, "-c", (
            "from datetime import time;"
            "from playlists.core.db import make_engine, make_session_factory, session_scope;"
            "from playlists.slots.models import Zone, Slot;"
            f"f = make_session_factory(make_engine('sqlite:///{data}/loa.db'));"
            "s = session_scope(f).__enter__();"
            "z = Zone(name='Chợ'); s.add_all([z, Slot(name='Trưa', start=time(11, 0),"
            " duration_s=600, zones=[z])]); s.commit()"
        )],
        check=True,
    )  # fmt: skip
    added = run(
        data, "bulletin", "add", "--title", "Ngắn", "--text-file", str(text), "--from",
        today.isoformat(), "--to", today.isoformat(), "--per-day", "1", "--by", "bientap",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    approved = run(data, "bulletin", "approve", added.stdout.strip(), "--by", "duyet")
    assert approved.returncode == 0, approved.stderr
    # Today's 11:00 slot may be past, so air it from tomorrow's plan.
    tomorrow = (today + timedelta(days=1)).isoformat()
    second = run(data, "bulletin", "add", "--title", "Mai", "--text-file", str(text), "--from",
                 tomorrow, "--to", tomorrow, "--per-day", "1", "--by", "bientap")  # fmt: skip
    run(data, "bulletin", "approve", second.stdout.strip(), "--by", "duyet")
    playing = ["play", "--date", tomorrow, "--slot", "11:00", "--output", "file"]
    refused = run(data, *playing, "--by", "duyet")
    assert refused.returncode == 2 and "cần vai trò Kỹ thuật viên vận hành" in refused.stderr
    played = run(data, *playing, "--by", "vanhanh")
    assert played.returncode == 0, played.stderr
    assert "Đã phát" in played.stdout
    assert list((data / "aired").rglob("*.wav"))

    out = tmp_path / "nhat-ky.csv"
    exported = run(data, "airlog", "export", "--from", today.isoformat(), "--to", tomorrow,
                   "-o", str(out), "--by", "baocao")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Nguồn"] == "Phát tay" and rows[0]["Trạng thái"] == "Đã phát"
    assert float(rows[0]["Thời lượng phát (giây)"]) > 0.3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "build", "--date", "2026-13-40"], "không phải ngày hợp lệ"),
        (["plan", "build", "--date", "2026-11-27"], "Cần --by TÊN_ĐĂNG_NHẬP"),
        (["plan", "build", "--date", "2026-11-27", "--by", "ai.do"], "Không có người dùng"),
        (
            ["play", "--date", "2026-11-27", "--slot", "Không có", "--by", "vanhanh"],
            "Không có khung giờ",
        ),
        (["zone", "add", "Chợ", "--by", "baocao"], "cần vai trò Kỹ thuật viên vận hành"),
        (["lexicon", "set", "KDC", "khu dân cư", "--by", "bientap"], "cần vai trò Lãnh đạo duyệt"),
        (["emergency", "--text", "Khẩn", "--by", "quantri"], "cần vai trò Kỹ thuật viên vận hành"),
        (["emergency-stop", "1"], "Cần --by TÊN_ĐĂNG_NHẬP"),
        (
            [
                "airlog",
                "export",
                "--from",
                "2026-02-01",
                "--to",
                "2026-01-01",
                "-o",
                "x.csv",
                "--by",
                "baocao",
            ],
            "--to phải bằng hoặc sau --from",
        ),
        (["normalize"], "Cần văn bản"),
    ],
)
def test_refusals_say_why_in_vietnamese(demo: Path, args: list[str], message: str) -> None:
    done = run(demo, *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_bad_bulletin_is_refused_and_nothing_is_saved(demo: Path, tmp_path: Path) -> None:
    text = tmp_path / "tin.txt"
    text.write_text("Nội dung", "utf-8")
    common = ["bulletin", "add", "--title", "T", "--text-file", str(text), "--per-day", "1",
              "--by", "bientap"]  # fmt: skip
    backwards = run(demo, *common, "--from", "2026-12-05", "--to", "2026-12-01")
    assert backwards.returncode == 2 and "Ngày kết thúc" in backwards.stderr
    unknown = run(demo, *common, "--from", "2026-12-01", "--to", "2026-12-05", "--zone", "Sao Hỏa")
    assert unknown.returncode == 2 and "Không có cụm loa: Sao Hỏa" in unknown.stderr
    empty = tmp_path / "trong.txt"
    empty.write_text("  ", "utf-8")
    blank = run(demo, "bulletin", "add", "--title", "T", "--text-file", str(empty),
                "--per-day", "1", "--from", "2026-12-01", "--to", "2026-12-05",
                "--by", "bientap")  # fmt: skip
    assert blank.returncode == 2 and "Cần nhập nội dung" in blank.stderr
    tomorrow = (station_today() + timedelta(days=1)).isoformat()
    listing = run(demo, "plan", "build", "--date", tomorrow, "--json", "--by", "vanhanh")
    titles = {i["title"] for z in json.loads(listing.stdout)["zones"] for s in z["slots"]
              for i in s["items"]}  # fmt: skip
    assert "T" not in titles


def test_a_wrong_setting_stops_start_up_with_a_message(tmp_path: Path) -> None:
    done = run(tmp_path, "init", env={"LOA_TIMEZONE": "Mars/Olympus"})
    assert done.returncode == 2
    assert "LOA_TIMEZONE" in done.stderr and "Mars/Olympus" in done.stderr
    engines = run(tmp_path, "init", env={"LOA_TTS_ENGINES": "gtts,piper9"})
    assert engines.returncode == 2 and "LOA_TTS_ENGINES" in engines.stderr


def test_lexicon_commands_change_how_text_is_read(demo: Path) -> None:
    assert "UBND\tủy ban nhân dân\tMặc định" in run(demo, "lexicon", "list").stdout
    added = run(demo, "lexicon", "set", "KDC", "khu dân cư", "--by", "duyet")
    assert added.returncode == 0 and "KDC: khu dân cư" in added.stdout
    assert run(demo, "normalize", "Họp KDC").stdout.strip() == "Họp khu dân cư"
    assert "KDC\tkhu dân cư\tĐài thêm" in run(demo, "lexicon", "list").stdout
    assert run(demo, "lexicon", "reset", "KDC").returncode == 2, "needs an approver"
    assert run(demo, "lexicon", "reset", "KDC", "--by", "duyet").returncode == 0
    assert run(demo, "normalize", "Họp KDC").stdout.strip() == "Họp KDC"
    refused = run(demo, "lexicon", "set", "KDC", "số 5", "--by", "duyet")
    assert refused.returncode == 2 and "chữ số" in refused.stderr


def test_normalize_creates_no_database(tmp_path: Path) -> None:
    assert run(tmp_path / "fresh", "normalize", "UBND").returncode == 0
    assert not (tmp_path / "fresh" / "loa.db").exists()


def test_say_check_reports_how_well_a_recognizer_understood(tmp_path: Path) -> None:
    out = tmp_path / "kiem-tra.wav"
    done = run(tmp_path / "data", "say", "Xin chào bà con nhân dân.", "-o", str(out), "--check")
    assert done.returncode == 0, done.stderr
    assert "tỷ lệ lỗi từ WER" in done.stdout and "Máy nghe được:" in done.stdout


def test_zone_and_slot_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "init").returncode == 0
    add_people(data, vanhanh=Role.OPERATOR)
    by = ("--by", "vanhanh")
    assert run(data, "zone", "add", "Chợ Bến Thành", *by).returncode == 0
    assert "Chợ Bến Thành" in run(data, "zone", "list").stdout
    duplicate = run(data, "zone", "add", "Chợ Bến Thành", *by)
    assert duplicate.returncode == 2 and "Đã có cụm loa" in duplicate.stderr

    added = run(data, "slot", "add", "--name", "Sáng", "--zone", "Chợ Bến Thành", "--days", "1-5",
                "--start", "05:30", "--minutes", "30", "--document", "12/TB-TTDVC",
                "--head", "60", "--tail", "30", *by)  # fmt: skip
    assert added.returncode == 0, added.stderr
    clash = run(data, "slot", "add", "--name", "Trùng", "--zone", "Chợ Bến Thành", "--days",
                "1-7", "--start", "05:40", "--minutes", "10", *by)  # fmt: skip
    assert clash.returncode == 2 and "Trùng giờ với khung “Sáng”" in clash.stderr
    long = run(data, "slot", "add", "--name", "Dài", "--zone", "Chợ Bến Thành", "--days", "6-7",
               "--start", "07:00", "--minutes", "50", *by)  # fmt: skip
    assert long.returncode == 0 and "Cảnh báo" in long.stderr and "45 phút" in long.stderr
    strict = {"LOA_CAP_MODE": "refuse"}
    refused = run(data, "slot", "add", "--name", "Dài 2", "--zone", "Chợ Bến Thành", "--days",
                  "6-7", "--start", "09:00", "--minutes", "50", *by, env=strict)  # fmt: skip
    assert refused.returncode == 2

    monday = station_today() + timedelta(days=7 - station_today().weekday())
    cancelling = ["slot", "cancel", "--slot", "05:30", "--date", monday.isoformat(),
                  "--reason", "Họp dân"]  # fmt: skip
    nobody = run(data, *cancelling)
    assert nobody.returncode == 2 and "Cần --by" in nobody.stderr
    cancelled = run(data, *cancelling, *by)
    assert cancelled.returncode == 0, cancelled.stderr
    listing = run(data, "slot", "list").stdout
    assert "Sáng\t05:30\t30 phút\tngày 12345" in listing and monday.isoformat() in listing
    plan = json.loads(
        run(data, "plan", "build", "--date", monday.isoformat(), "--json", *by).stdout
    )
    assert plan["zones"][0]["slots"] == [], "a cancelled slot has no programme that day"
    assert "Quốc khánh" in run(data, "slot", "holidays", "--year", "2026").stdout


def test_plan_exports_as_an_m3u8_that_ffmpeg_reads(demo: Path, tmp_path: Path) -> None:
    tomorrow = (station_today() + timedelta(days=1)).isoformat()
    plan = json.loads(
        run(demo, "plan", "build", "--date", tomorrow, "--json", "--by", "vanhanh").stdout
    )
    items = [i for s in plan["zones"][0]["slots"] for i in s["items"]]
    out = tmp_path / "lich.m3u8"
    done = run(demo, "plan", "export", "--date", tomorrow, "--zone", "Cụm loa trung tâm",
               "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out.read_text("utf-8")
    assert text.count("#EXTINF") == len(items)
    assert (
        f"#EXTINF:{items[0]['duration_s']:.3f},{items[0]['title']}"
        in text.replace(f"{items[0]['duration_s']:.3f}", f"{items[0]['duration_s']:.3f}")
        or items[0]["title"] in text
    )
    decoded = tmp_path / "all.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-allowed_extensions", "ALL", "-protocol_whitelist", "file",
         "-i", str(out), "-y", str(decoded)],
        check=True,
    )  # fmt: skip
    total = sum(i["duration_s"] for i in items)
    assert probe(decoded).duration_s == pytest.approx(total, abs=0.1 * len(items))
