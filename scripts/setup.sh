#!/usr/bin/env bash
# Set up everything the suite needs on a fresh Debian or Ubuntu machine, idempotently:
# Chrome and its driver from the OS packages (only where missing), uv, and a virtual environment in .venv
# with this package, its test dependencies and the newest NiceGUI.
set -euo pipefail
cd "$(dirname "$0")/.."

have_browser() { command -v chromium >/dev/null || command -v google-chrome >/dev/null || command -v chromium-browser >/dev/null; }
if ! have_browser || ! command -v chromedriver >/dev/null; then
  sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo"
  echo "setup: installing chromium and chromium-driver from the OS packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

python=${PYTHON:-python3}
if ! command -v uv >/dev/null; then
  echo "setup: installing uv"
  "$python" -m pip install -q --disable-pip-version-check uv
fi
[[ -x .venv/bin/python ]] || uv venv -q --python "$python" .venv
VIRTUAL_ENV=$PWD/.venv uv pip install -q -e '.[matrix]'
echo "setup: ready ($(.venv/bin/python -c 'import nicegui; print("NiceGUI", nicegui.__version__)'), $(chromedriver --version | cut -d' ' -f1-2))"
