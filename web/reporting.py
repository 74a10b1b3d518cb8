"""What the report's page and API share: reading which window is asked for, and sending a
report's file (made for the request, or kept from a closed period)."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from playlists.core.errors import InputError, StateError
from playlists.reports import service
from playlists.reports.models import ReportClosure
from playlists.reports.periods import (
    PERIOD_RULES,
    Window,
    WindowRule,
    custom_period,
    parse_period,
    running,
)
from web.context import StationContext


def asked_window(
    ctx: StationContext,
    period: str,
    first: date | None,
    last: date | None,
    rule: str,
    *,
    names: tuple[str, str, str, str] = ("period", "from", "to", "windows"),
) -> Window:
    """Return the window asked for: a period code, two days, or (nothing asked) this quarter.

    InputError names the field as the caller wrote it (`names`).
    """
    windows = period_rule(rule or ctx.settings.report_windows)
    if windows is None:
        raise InputError({names[3]: "Cách tính kỳ phải là decree hoặc calendar."})
    if period.strip():
        return parse_period(period, field=names[0]).window(windows)
    if first is not None and last is not None:
        return custom_period(first, last, names=(names[1], names[2])).window(windows)
    if first is not None or last is not None:
        raise InputError({names[2]: "Kỳ tự chọn cần cả ngày bắt đầu và ngày kết thúc."})
    return running(ctx.today(), windows)


def period_rule(name: str) -> WindowRule | None:
    """Return the rule a named period may follow (decree, calendar), or None."""
    return next((rule for rule in PERIOD_RULES if rule.value == name), None)


def issuer(ctx: StationContext) -> service.Issuer:
    return service.Issuer.from_settings(ctx.settings.reports)


def _attachment(path: Path, name: str, fmt: str, *, remove: bool) -> FileResponse:
    # RFC 6266: an ASCII name for old clients, the real one in UTF-8 for the others.
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return FileResponse(
        path,
        media_type=service.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}"
        },
        background=BackgroundTask(path.unlink, missing_ok=True) if remove else None,
    )


def report_file(
    ctx: StationContext, session: Session, report: service.Report, fmt: str
) -> FileResponse:
    """Write the report in `fmt` to a temporary file and send it (removed once sent)."""
    folder = ctx.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}.{fmt}"
    service.write_file(report, session, fmt, path)
    service.record_export(session, report.window, fmt, report.last_seq)
    return _attachment(path, service.file_name(report, fmt), fmt, remove=True)


def closed_file(
    ctx: StationContext, session: Session, closure: ReportClosure, fmt: str
) -> FileResponse:
    """Send a closed report's file as it was closed; made again from the register if the
    kept file is gone, and refused if the bytes would differ from those recorded."""
    kept = closure.files.get(fmt)
    if kept is None:
        raise InputError({"format": "Báo cáo đã chốt có tệp xlsx, docx và csv."})
    path = ctx.settings.reports_dir / kept["name"]
    if not path.is_file() or service.sha256_of(path) != kept["sha256"]:
        # Made again beside the kept file, which is replaced only by the very same bytes:
        # a kept file that differs is evidence of a change and stays for a person to see.
        remade = path.with_name(f".{secrets.token_hex(8)}.{fmt}")
        digest = service.write_file(service.closed_report(session, closure), session, fmt, remade)
        if digest != kept["sha256"]:
            remade.unlink(missing_ok=True)
            raise StateError(
                "Không lập lại được đúng tệp đã chốt (mã băm khác): nhật ký phát sóng hoặc phần "
                "mềm đã thay đổi. Hãy chạy `loa report verify` và `loa airlog verify`."
            )
        if path.is_file():
            path.replace(path.with_name(f"{path.name}.khac-ma-bam-{secrets.token_hex(4)}"))
        remade.replace(path)
    service.record_export(session, service.closure_window(closure), fmt, closure.last_seq)
    return _attachment(path, kept["name"], fmt, remove=False)
