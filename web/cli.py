"""The `loa` command line: run the station and do everything the pages do, from a shell.

Every command reads its settings from `LOA_*` variables (LOA_DATA_DIR first of all). A refused
input prints its reason in Vietnamese on stderr and exits with status 2; nothing is half-saved.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from audio import ffmpeg
from audio.errors import AudioError
from audio.intelligibility import check_rendering, default_transcriber, summary
from playlists import ledger, service
from playlists import slots as slot_service
from playlists.db import session_scope
from playlists.demo import is_empty, seed_demo
from playlists.errors import DomainError
from playlists.exports import plan_m3u8
from playlists.lexicon import effective_lexicon, readings, reset_reading, set_reading
from playlists.models import AirSource, AirStatus, Emergency, EmergencyStatus
from playlists.plans import plan_as_json, read_plan
from playlists.reports import AirLogFilter, airlog_csv, query_airlog
from playlists.schemas import BulletinCreate
from playlists.settings import Settings, SettingsError, load_settings
from playlists.slots import find_slot
from playlists.speech import make_renderer, station_normalizer
from scheduler.lock import StationBusy
from web.context import StationContext

app = typer.Typer(
    help="Loa Phường: phần mềm đài truyền thanh phường.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bulletin_app = typer.Typer(help="Bản tin.", no_args_is_help=True)
plan_app = typer.Typer(help="Lịch phát.", no_args_is_help=True)
airlog_app = typer.Typer(help="Nhật ký phát sóng.", no_args_is_help=True)
lexicon_app = typer.Typer(help="Từ điển chữ viết tắt: cách đọc của đài.", no_args_is_help=True)
app.add_typer(bulletin_app, name="bulletin")
app.add_typer(lexicon_app, name="lexicon")
zone_app = typer.Typer(help="Cụm loa.", no_args_is_help=True)
slot_app = typer.Typer(help="Khung giờ phát sóng.", no_args_is_help=True)
app.add_typer(zone_app, name="zone")
app.add_typer(slot_app, name="slot")
app.add_typer(plan_app, name="plan")
app.add_typer(airlog_app, name="airlog")

log = logging.getLogger("loa")


class EngineChoice(StrEnum):
    AUTO = "auto"
    GTTS = "gtts"
    OFFLINE = "offline"
    PIPER = "piper"


class OutputChoice(StrEnum):
    FILE = "file"
    DEVICE = "device"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a message for the person at the terminal and stop."""
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    """Load settings, turning a wrong setting into a message a person can act on."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    return settings.model_copy(update=overrides) if overrides else settings


def open_station(settings: Settings) -> StationContext:
    """Open (and migrate) the station's database."""
    try:
        return StationContext.create(settings)
    except Exception as exc:  # a database that cannot open is a setting to fix, not a crash
        fail(f"Không mở được cơ sở dữ liệu {settings.db_url}: {exc}")


@contextmanager
def station(settings: Settings | None = None) -> Iterator[StationContext]:
    """Open the station for one command; a refusal prints its reason and exits with status 2."""
    ctx = open_station(settings or settings_or_exit())
    try:
        yield ctx
    except DomainError as exc:
        fail(exc.message)
    finally:
        ctx.stop()


def parse_date(value: str, option: str) -> date:
    """Read YYYY-MM-DD, or stop with a Vietnamese message naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} “{value}” không phải ngày hợp lệ (dạng YYYY-MM-DD, ví dụ 2026-11-27).")


def station_lexicon(settings: Settings) -> dict[str, str] | None:
    """Return the station's lexicon, or None (built-in) when the station has no database yet.

    Reading text aloud must not create a database as a side effect.
    """
    if settings.database_url is None and not (settings.data_dir / "loa.db").exists():
        return None
    with station(settings) as ctx, session_scope(ctx.sessions) as session:
        return effective_lexicon(session=session)


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _seed_demo_if_empty(ctx: StationContext) -> bool:
    with session_scope(ctx.sessions) as session:
        if not is_empty(session=session):
            return False
        count = seed_demo(
            session=session,
            renderer=ctx.renderer,
            media_dir=ctx.settings.media_dir,
            today=ctx.today(),
            now=ctx.now(),
            max_text_chars=ctx.settings.max_text_chars,
        )
    typer.echo(f"Đã tạo đài mẫu: 1 cụm loa, 2 khung giờ, {count} bản tin đã duyệt.")
    for day in (ctx.today(), ctx.today() + timedelta(days=1)):
        ctx.station.build_plan(day, reconcile=False)
    return True


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo đài mẫu nếu cơ sở dữ liệu trống")
    ] = False,
) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu."""
    _setup_logging()
    with station() as ctx:
        typer.echo(f"Cơ sở dữ liệu sẵn sàng: {ctx.settings.db_url}")
        if demo and not _seed_demo_if_empty(ctx):
            typer.echo("Cơ sở dữ liệu đã có dữ liệu; không tạo đài mẫu.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo đài mẫu nếu cơ sở dữ liệu trống")
    ] = False,
) -> None:
    """Chạy trang web và bộ lập lịch phát."""
    import uvicorn

    from web.app import create_app

    _setup_logging()
    ctx = open_station(settings_or_exit())
    try:
        # Before anything else: a second server must not even seed or plan the station.
        ctx.station.lock.acquire()
    except StationBusy as exc:
        ctx.stop()
        fail(str(exc))
    if demo:
        _seed_demo_if_empty(ctx)
    typer.echo(f"Loa Phường đang chạy tại http://{host}:{port} (dữ liệu: {ctx.settings.data_dir})")
    uvicorn.run(create_app(ctx), host=host, port=port, log_level="info")


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="Văn bản cần đọc")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Tệp âm thanh đầu ra (wav hoặc mp3)")
    ],
    engine: Annotated[EngineChoice, typer.Option(help="Bộ đọc")] = EngineChoice.AUTO,
    check: Annotated[
        bool, typer.Option("--check", help="Cho máy nhận dạng nghe lại và báo độ rõ (WER)")
    ] = False,
) -> None:
    """Chuẩn hóa, đọc và xử lý âm lượng một đoạn văn bản vào tệp."""
    settings = settings_or_exit()
    engines = settings.tts_engines if engine == EngineChoice.AUTO else (engine.value,)
    try:
        renderer = make_renderer(settings, engines, lexicon=station_lexicon(settings))
    except ValueError as exc:  # e.g. --engine piper without LOA_PIPER_VOICE
        fail(f"Không dùng được bộ đọc {engine.value}: {exc}")
    try:
        rendered = renderer.render(text)
    except AudioError as exc:
        fail(exc.user_message)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        if output.suffix.lower() == rendered.path.suffix.lower():
            output.write_bytes(rendered.path.read_bytes())
        else:  # the station keeps WAV masters; give people the format they asked for
            ffmpeg.convert(rendered.path, output, timeout_s=ffmpeg.timeout_for(rendered.duration_s))
    except (OSError, AudioError) as exc:
        fail(f"Không ghi được {output}: {exc}")
    note = " (giọng dự phòng ngoại tuyến)" if rendered.engine == "espeak-ng" else ""
    typer.echo(
        f"{output}: {rendered.duration_s:.1f} giây, {rendered.loudness_lufs:.1f} LUFS, "
        f"bộ đọc {rendered.engine}{note}"
    )
    if check:
        typer.echo("Đang cho máy nhận dạng nghe lại…", err=True)
        try:
            report = check_rendering(rendered.path, rendered.spoken_text, default_transcriber())
        except AudioError as exc:
            fail(exc.user_message)
        typer.echo(summary(report))
        typer.echo(f"Máy nghe được: {report.hypothesis}")


@app.command("normalize")
def normalize_command(
    text: Annotated[str | None, typer.Argument(help="Văn bản (bỏ trống khi dùng --lines)")] = None,
    lines: Annotated[bool, typer.Option("--lines", help="Đọc từng dòng từ stdin")] = False,
) -> None:
    """In cách đọc của văn bản (theo từ điển viết tắt của đài)."""
    speak = station_normalizer(station_lexicon(settings_or_exit()))
    if lines:
        for line in sys.stdin:
            sys.stdout.write(speak(line.rstrip("\n")) + "\n")
            sys.stdout.flush()
        return
    if text is None:
        fail("Cần văn bản, hoặc dùng --lines để đọc từ stdin.")
    typer.echo(speak(text))


@bulletin_app.command("add")
def bulletin_add(
    title: Annotated[str, typer.Option("--title", help="Tiêu đề")],
    text_file: Annotated[Path, typer.Option("--text-file", help="Tệp văn bản UTF-8")],
    first: Annotated[str, typer.Option("--from", help="Ngày bắt đầu YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Ngày kết thúc YYYY-MM-DD")],
    per_day: Annotated[int, typer.Option("--per-day", help="Số lượt phát mỗi ngày")],
    topic: Annotated[int, typer.Option("--topic", help="Mã chủ đề 1-9, 0 là Khác")] = 0,
    priority: Annotated[
        str, typer.Option("--priority", help="thông thường | ưu tiên | khẩn cấp")
    ] = "normal",
    zone: Annotated[
        list[str] | None, typer.Option("--zone", help="Cụm loa (mặc định: tất cả)")
    ] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Duyệt luôn")] = False,
    author: Annotated[str, typer.Option("--author", help="Người soạn")] = "",
) -> None:
    """Thêm bản tin (gửi duyệt); in mã bản tin."""
    _setup_logging()
    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Không đọc được tệp văn bản {text_file}: {exc}")
    first_day, last_day = parse_date(first, "--from"), parse_date(last, "--to")
    with station() as ctx:
        with session_scope(ctx.sessions) as session:
            zone_ids = (
                service.zone_ids_by_names(session=session, names=zone)
                if zone
                else [z.id for z in service.list_zones(session=session)]
            )
            data = BulletinCreate(
                title=title, text=text, topic=topic,
                priority=service.priority_from_label(priority), first_day=first_day,
                last_day=last_day, per_day=per_day, zone_ids=zone_ids, author=author,
            )  # fmt: skip
            bulletin = ctx.create_bulletin(data, session=session)
            if approve:
                ctx.approve(bulletin.id, session=session, approver=author)
            bulletin_id = bulletin.id
        if approve:
            ctx.bulletins_changed()
    typer.echo(bulletin_id)


@plan_app.command("build")
def plan_build(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="In JSON")] = False,
) -> None:
    """Lập và in lịch phát của một ngày."""
    target = parse_date(day, "--date")
    with station() as ctx:
        ctx.station.build_plan(target, reconcile=False)
        with session_scope(ctx.sessions) as session:
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            shape = plan_as_json(view, ctx.settings.zone)
    if as_json:
        typer.echo(json.dumps(shape, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Lịch phát ngày {target:%d/%m/%Y}")
    for zone_plan in shape["zones"]:
        typer.echo(f"\n{zone_plan['zone']}")
        for slot in zone_plan["slots"]:
            used = sum(item["duration_s"] for item in slot["items"])
            typer.echo(
                f"  {slot['start']} {slot['slot']} "
                f"({used:.0f}/{slot['capacity_s']} giây, {len(slot['items'])} bản tin)"
            )
            for item in slot["items"]:
                typer.echo(
                    f"    {item['start']}  #{item['bulletin_id']} {item['title']} "
                    f"({item['duration_s']:.0f} giây)"
                )
    if shape["unplaced"]:
        typer.echo("\nChưa xếp được:")
        for entry in shape["unplaced"]:
            typer.echo(f"  #{entry['bulletin_id']} {entry['title']}: {entry['reason']}")


@plan_app.command("export")
def plan_export(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    zone: Annotated[str, typer.Option("--zone", help="Cụm loa")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp .m3u8")],
) -> None:
    """Xuất lịch phát một ngày của một cụm loa ra danh sách M3U8 (ffmpeg, VLC đọc được)."""
    target = parse_date(day, "--date")
    ctx = open_station(settings_or_exit())
    try:
        with session_scope(ctx.sessions) as session:
            zone_id = service.zone_ids_by_names(session=session, names=[zone])[0]
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            text = plan_m3u8(
                view, zone_id=zone_id, media_dir=ctx.settings.media_dir,
                export_dir=ctx.settings.media_dir / "export",
            )  # fmt: skip
    except (DomainError, AudioError) as exc:
        fail(exc.message if isinstance(exc, DomainError) else exc.user_message)
    finally:
        ctx.stop()
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Đã xuất {text.count('#EXTINF')} bản tin vào {output}")


@app.command()
def play(
    day: Annotated[str, typer.Option("--date", help="Ngày của lịch YYYY-MM-DD")],
    slot: Annotated[str, typer.Option("--slot", help="Tên khung giờ hoặc giờ bắt đầu HH:MM")],
    output: Annotated[
        OutputChoice | None, typer.Option("--output", help="file hoặc device")
    ] = None,
) -> None:
    """Phát ngay một khung giờ theo lịch (nguồn: phát tay)."""
    _setup_logging()
    target = parse_date(day, "--date")
    overrides = {"output": output.value} if output else {}
    ctx = open_station(settings_or_exit(**overrides))
    try:
        # The running station owns the outputs and the journal of what is on air.
        ctx.station.lock.acquire()
    except StationBusy:
        ctx.stop()
        fail("Đài đang chạy ở tiến trình khác (loa serve), đang giữ các đầu ra. "
             "Hãy dừng nó trước khi phát tay từ dòng lệnh.")  # fmt: skip
    try:
        with session_scope(ctx.sessions) as session:
            found = find_slot(slot, session=session)
            slot_id, slot_name = found.id, found.name
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            planned = any(s.items for z in view.zones for s in z.slots if s.slot.id == slot_id)
        if not planned and target >= ctx.today():
            ctx.station.build_plan(target, reconcile=False)
        results = ctx.station.air_slot(target, slot_id, AirSource.MANUAL, start=ctx.now())
    except DomainError as exc:
        fail(exc.message)
    finally:
        ctx.stop()
    if not results:
        fail(f"Khung giờ {slot_name} ngày {target:%d/%m/%Y} không có bản tin nào để phát.", 1)
    for result in results:
        aired = (
            (result.actual_end - result.actual_start).total_seconds()
            if result.actual_start and result.actual_end
            else 0.0
        )
        typer.echo(
            f"{result.program.zone_name}: #{result.item.bulletin_id} {result.item.title}: "
            f"{result.status.label} {aired:.1f} giây {result.reason}".rstrip()
        )
    if any(r.status != AirStatus.PLAYED for r in results):
        raise typer.Exit(1)


@app.command()
def emergency(
    text: Annotated[str | None, typer.Option("--text", help="Nội dung tin khẩn cấp")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Tệp ghi âm tin khẩn cấp", exists=False)
    ] = None,
    zone: Annotated[
        list[str] | None,
        typer.Option("--zone", help="Cụm loa (tên hoặc số), nhắc lại được; bỏ trống: mọi cụm"),
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Số lần phát")] = 1,
    every: Annotated[float, typer.Option("--every", help="Cách nhau bao nhiêu phút")] = 0.0,
    title: Annotated[str, typer.Option("--title", help="Tiêu đề trong nhật ký")] = "",
    by: Annotated[str, typer.Option("--by", help="Người yêu cầu phát")] = "",
) -> None:
    """Phát tin khẩn cấp ngay, ngắt chương trình đang phát trên các cụm loa."""
    _setup_logging()
    if (text is None) == (file is None):
        fail("Cần đúng một trong hai: --text (nội dung) hoặc --file (tệp ghi âm).")
    if file is not None and not file.is_file():
        fail(f"Không có tệp {file}.")
    with station() as ctx:
        with session_scope(ctx.sessions) as session:
            zone_ids = service.zone_ids_by_names(session=session, names=zone) if zone else []
        try:
            request = ctx.request_emergency(
                title=title or (file.stem if file else ""), text=text or "", recording=file,
                zone_ids=zone_ids, repeat=repeat, every_min=every, requested_by=by,
            )  # fmt: skip
        except AudioError as exc:
            fail(exc.user_message)
        where = ", ".join(zone or []) or "mọi cụm loa"
        typer.echo(f"Tin khẩn cấp số {request.id} ({request.duration_s:.1f} giây) cho {where}.")

        def progress(state: Emergency) -> None:
            typer.echo(f"Đã phát {state.plays_done}/{state.repeat} lần ({state.status.label}).")

        try:
            done = ctx.station.air_emergency_alone(request.id, progress)
        except StationBusy:
            typer.echo("Đài đang chạy ở tiến trình khác: đã chuyển tin để đài phát ngay.")
            return
        if done is None or done.status != EmergencyStatus.DONE:
            fail("Tin khẩn cấp chưa phát được hết; xem nhật ký phát sóng và cảnh báo.", 1)


@airlog_app.command("export")
def airlog_export(
    first: Annotated[str, typer.Option("--from", help="Từ ngày YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Đến ngày YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp CSV")],
) -> None:
    """Xuất nhật ký phát sóng ra CSV (UTF-8 có BOM, mở được bằng Excel)."""
    first_day, last_day = parse_date(first, "--from"), parse_date(last, "--to")
    if last_day < first_day:
        fail("--to phải bằng hoặc sau --from.")
    with station() as ctx:
        filt = AirLogFilter(first_day=first_day, last_day=last_day)
        with session_scope(ctx.sessions) as session:
            rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
            data = airlog_csv(rows, tz=ctx.settings.zone)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        fail(f"Không ghi được {output}: {exc.strerror}")
    typer.echo(f"Đã xuất {len(rows)} dòng vào {output}")


def parse_anchor(value: str) -> tuple[int, str]:
    """Read SỐ:MÃ_BĂM (a row's seq and its 64-hex hash), or stop with a Vietnamese message."""
    seq, _, digest = (part.strip().lower() for part in value.partition(":"))
    is_hash = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    if not (seq.isdigit() and int(seq) > 0 and is_hash):
        fail(
            f"--anchor “{value}” phải có dạng SỐ:MÃ_BĂM (mã băm 64 ký tự 0-9, a-f), "
            "như dòng “Dòng cuối” mà lệnh này in ra."
        )
    return int(seq), digest


@airlog_app.command("verify")
def airlog_verify(
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="Dòng cuối ghi trong báo cáo quý, dạng SỐ:MÃ_BĂM: nhật ký phải còn đúng dòng đó",
        ),
    ] = None,
) -> None:
    """Kiểm tra nhật ký phát sóng không bị sửa, xóa hay chèn dòng (chuỗi mã băm)."""
    recorded = parse_anchor(anchor) if anchor is not None else None
    with station() as ctx:
        with session_scope(ctx.sessions) as session:
            result = ledger.verify(session, anchor=recorded)
        zone = ctx.settings.zone
    if result.ok:
        typer.echo(f"Nhật ký phát sóng nguyên vẹn: {result.rows_checked} dòng.")
        if result.last_seq:
            typer.echo(f"Dòng cuối: số {result.last_seq}, mã băm {result.last_hash}")
        return
    where = f"dòng số {result.first_bad_seq}"
    if result.first_bad_id is not None:
        where += f" (id {result.first_bad_id})"
    if result.first_bad_at is not None:
        where += f", lúc {result.first_bad_at.astimezone(zone):%H:%M:%S ngày %d/%m/%Y}"
    typer.echo(f"Nhật ký phát sóng KHÔNG nguyên vẹn. Lỗi đầu tiên ở {where}:", err=True)
    typer.echo(f"  {result.message}.", err=True)
    typer.echo(f"{result.rows_checked} dòng đầu còn nguyên vẹn.", err=True)
    raise typer.Exit(1)


REFRESH_NOTE = (
    "Đài đang chạy (loa serve) sẽ đọc lại các bản tin đang phát theo cách đọc mới "
    "trong vòng {minutes:g} phút, trước lượt phát kế tiếp."
)


@lexicon_app.command("list")
def lexicon_list() -> None:
    """In các chữ viết tắt và cách đọc."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        for reading in readings(session=session):
            spoken = reading.spoken or "(đọc nguyên văn)"
            typer.echo(f"{reading.written}\t{spoken}\t{reading.source}")


@lexicon_app.command("set")
def lexicon_set(
    written: Annotated[str, typer.Argument(help="Chữ viết tắt, ví dụ UBND")],
    spoken: Annotated[str, typer.Argument(help='Cách đọc; để trống "" là đọc nguyên văn')],
    by: Annotated[str, typer.Option("--by", help="Người sửa")] = "",
) -> None:
    """Thêm hoặc sửa cách đọc một chữ viết tắt."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        set_reading(written, spoken, session=session, by=by, now=ctx.now())
    typer.echo(f"{written.strip()}: {' '.join(spoken.split()) or '(đọc nguyên văn)'}")
    typer.echo(REFRESH_NOTE.format(minutes=ctx.settings.refresh_every_min))


@lexicon_app.command("reset")
def lexicon_reset(
    written: Annotated[str, typer.Argument(help="Chữ viết tắt")],
) -> None:
    """Bỏ cách đọc của đài, trở về cách đọc mặc định."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        reset_reading(written, session=session)
    typer.echo(f"{written.strip()}: đã trở về cách đọc mặc định")
    typer.echo(REFRESH_NOTE.format(minutes=ctx.settings.refresh_every_min))


def parse_time(value: str, option: str) -> time:
    """Read HH:MM, or stop with a Vietnamese message naming the option."""
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} “{value}” không phải giờ hợp lệ (dạng HH:MM, ví dụ 05:30).")


@zone_app.command("add")
def zone_add(
    name: Annotated[str, typer.Argument(help="Tên cụm loa")],
    description: Annotated[str, typer.Option(help="Mô tả")] = "",
) -> None:
    """Thêm cụm loa."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        zone = slot_service.add_zone(name, session=session, description=description)
        typer.echo(f"Đã thêm cụm loa {zone.name} (mã {zone.id}).")


@zone_app.command("list")
def zone_list() -> None:
    """Liệt kê các cụm loa."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        for zone in service.list_zones(session=session):
            typer.echo(f"{zone.id}\t{zone.name}\t{zone.description}")


@slot_app.command("add")
def slot_add(
    name: Annotated[str, typer.Option("--name", help="Tên khung giờ")],
    zone: Annotated[list[str], typer.Option("--zone", help="Cụm loa (lặp lại cho nhiều cụm)")],
    days: Annotated[str, typer.Option("--days", help="Ngày trong tuần: 1-7, 1-5, 2,4,6")],
    start: Annotated[str, typer.Option("--start", help="Giờ bắt đầu HH:MM")],
    minutes: Annotated[int, typer.Option("--minutes", help="Thời lượng (phút)")],
    first: Annotated[str | None, typer.Option("--from", help="Hiệu lực từ YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Hiệu lực đến YYYY-MM-DD")] = None,
    document: Annotated[str, typer.Option(help="Số văn bản giao khung giờ")] = "",
    document_date: Annotated[str | None, typer.Option(help="Ngày văn bản YYYY-MM-DD")] = None,
    head: Annotated[int, typer.Option(help="Giây nhạc hiệu + giới thiệu đài")] = 0,
    relay: Annotated[int, typer.Option(help="Giây tiếp âm đài quốc gia")] = 0,
    tail: Annotated[int, typer.Option(help="Giây lời kết + nhạc hiệu")] = 0,
) -> None:
    """Thêm khung giờ phát sóng."""
    settings = settings_or_exit()
    data = slot_service.SlotInput(
        name=name, zone_names=zone, days=days, start=parse_time(start, "--start"),
        minutes=minutes, valid_from=parse_date(first, "--from") if first else None,
        valid_to=parse_date(last, "--to") if last else None, document=document,
        document_date=parse_date(document_date, "--document-date") if document_date else None,
        head_s=head, relay_s=relay, tail_s=tail,
    )  # fmt: skip
    with station(settings) as ctx:
        with session_scope(ctx.sessions) as session:
            saved = slot_service.add_slot(
                data, session=session, caps=slot_service.caps_from(settings)
            )
            typer.echo(
                f"Đã thêm khung giờ {saved.slot.name}: {saved.slot.start:%H:%M}, "
                f"{minutes} phút, ngày {saved.slot.days}."
            )
            for warning in saved.warnings:
                typer.echo(f"Cảnh báo: {warning}", err=True)
        ctx.bulletins_changed()


@slot_app.command("cancel")
def slot_cancel(
    slot: Annotated[str, typer.Option("--slot", help="Tên khung giờ hoặc giờ HH:MM")],
    day: Annotated[str, typer.Option("--date", help="Ngày hủy YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="Lý do")] = "",
) -> None:
    """Hủy một khung giờ vào một ngày."""
    target = parse_date(day, "--date")
    with station() as ctx:
        with session_scope(ctx.sessions) as session:
            cancelled = slot_service.cancel_slot(
                slot, target, session=session, today=ctx.today(), reason=reason
            )
            typer.echo(f"Đã hủy khung giờ {cancelled.slot.name} ngày {target:%d/%m/%Y}.")
        ctx.bulletins_changed()


@slot_app.command("list")
def slot_list() -> None:
    """Liệt kê khung giờ."""
    with station() as ctx, session_scope(ctx.sessions) as session:
        for s in slot_service.list_slots(session=session):
            zones = ", ".join(z.name for z in s.zones)
            valid = f"{s.valid_from or '…'}→{s.valid_to or '…'}"
            cancelled = ", ".join(c.day.isoformat() for c in s.cancellations)
            typer.echo(
                f"{s.name}\t{s.start:%H:%M}\t{s.duration_s // 60} phút\tngày {s.days}\t"
                f"{valid}\t{zones}" + (f"\thủy: {cancelled}" if cancelled else "")
            )


@slot_app.command("holidays")
def slot_holidays(
    year: Annotated[int | None, typer.Option(help="Năm (mặc định: năm nay)")] = None,
) -> None:
    """Gợi ý các ngày lễ để hủy hoặc đổi khung giờ."""
    settings = settings_or_exit()
    wanted = year or datetime.now(settings.zone).year
    for day, name in slot_service.holiday_suggestions(wanted):
        typer.echo(f"{day.isoformat()}\t{name}")


def main() -> None:
    """Run the `loa` command."""
    app()
