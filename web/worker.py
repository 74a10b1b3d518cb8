"""A web worker of `loa serve` (web/serving.py): the pages and the API, nothing on air.

Started by the station's process with three inherited descriptors: the listening socket, the
pipe to tell the station about committed changes, and the lifeline whose end of file means
the station's process is gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading

log = logging.getLogger("web.worker")


def _watch_lifeline(fd: int) -> None:
    """Exit at once when the station's process is gone: its end of the pipe closed."""
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    log.warning("the station's process is gone; this web worker stops")
    os._exit(0)


def main() -> None:
    """Serve the web app on the inherited socket until told to stop."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--changes-fd", type=int, required=True)
    parser.add_argument("--lifeline-fd", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
    )
    threading.Thread(target=_watch_lifeline, args=(args.lifeline_fd,), daemon=True).start()
    # Imported only now, with the lifeline watched: importing the app takes a second or two,
    # and a worker whose station dies meanwhile must not hold the port that long.
    import uvicorn

    from web.app import create_app
    from web.context import StationContext
    from web.serving import tell_station
    from web.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(str(exc))
    ctx = StationContext.create(settings, elsewhere=tell_station(args.changes_fd))
    listener = socket.socket(fileno=args.listen_fd)
    # A request that hangs must not keep the station's stop waiting: five seconds, then go.
    # proxy_headers off: only LOA_TRUSTED_PROXY is believed about the client (web/auth.py).
    config = uvicorn.Config(
        create_app(ctx, run_scheduler=False), log_level="info", timeout_graceful_shutdown=5,
        proxy_headers=False,
    )  # fmt: skip
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        ctx.stop()


if __name__ == "__main__":
    main()
