#!/usr/bin/env bash
# Install everything Loa Phường needs on a fresh Debian machine, then stop.
#   bash scripts/install.sh          the station: ffmpeg, espeak-ng, Python packages in .venv
#                                    (with the piper voice engine and the intelligibility check)
#   bash scripts/install.sh --dev    also the test tools: Chromium for browser tests, icecast2,
#                                    PostgreSQL's server and mosquitto (the tests start their
#                                    own), pytest, ruff...
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

packages=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || packages+=(ffmpeg)
command -v espeak-ng >/dev/null || packages+=(espeak-ng)
if [ "$dev" = 1 ]; then
  command -v chromium >/dev/null || packages+=(chromium)
  # The Icecast output's tests run their own icecast2 on a free loopback port.
  [ -x /usr/bin/icecast2 ] || packages+=(icecast2)
  # The tests run on PostgreSQL too, with a throwaway server of their own (tests/postgres_server.py).
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || packages+=(postgresql)
  # The players' tests run their own mosquitto broker (tests/mqtt_broker.py).
  [ -x /usr/sbin/mosquitto ] || packages+=(mosquitto)
fi
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null; then
  packages+=(python3 python3-venv)
elif ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=(python3-venv)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  echo "Cài gói hệ thống: ${packages[*]}"
  if [[ " ${packages[*]} " == *" icecast2 "* ]]; then
    # Answer icecast2's "Configure Icecast2?" with its default, no: the package then leaves
    # its service disabled and not running (no server on port 8000 with the "hackme"
    # passwords). The tests start their own; a station that streams configures its server.
    echo "icecast2 icecast2/icecast-setup boolean false" | $sudo debconf-set-selections
  fi
  if [[ " ${packages[*]} " == *" postgresql "* ]]; then
    # No system-wide cluster: the tests start their own server on a free loopback port.
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  $sudo apt-get update -qq
  # Through env: sudo resets the environment and would drop a DEBIAN_FRONTEND set before it.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

"$python" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Loa Phường cần Python 3.11 trở lên; máy này có {sys.version.split()[0]}.")
PY

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install --quiet -e ".[dev]"
else
  .venv/bin/python -m pip install --quiet -e ".[piper,check,postgres]"
fi
echo "Đã cài xong Loa Phường trong .venv"
