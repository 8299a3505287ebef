#!/usr/bin/env bash
# Set up everything the suite needs on a fresh Debian or Ubuntu machine, idempotently:
# Chrome and its driver from the OS packages (only where missing), uv, and a virtual environment in .venv
# with this package, its test dependencies and the newest NiceGUI.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
apt_install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null; }
have_browser() { command -v chromium >/dev/null || command -v google-chrome >/dev/null || command -v chromium-browser >/dev/null; }
updated=""
if ! have_browser || ! command -v chromedriver >/dev/null; then
  echo "setup: installing chromium and chromium-driver from the OS packages"
  $sudo apt-get update -qq && updated=1
  apt_install chromium chromium-driver
fi
# The headless shell costs less CPU per navigation than full Chrome (benchmarks/browser_cost.py). The suite
# uses it where installed and full Chrome otherwise, so a distribution without the package is no failure.
if ! command -v chromium-headless-shell >/dev/null; then
  [[ -n $updated ]] || $sudo apt-get update -qq || true
  if apt-cache show chromium-headless-shell >/dev/null 2>&1 && apt_install chromium-headless-shell; then
    echo "setup: installed chromium-headless-shell from the OS packages"
  else
    echo "setup: no chromium-headless-shell package here; the suite runs full Chrome headless"
  fi
fi

python=${PYTHON:-python3}
if ! command -v uv >/dev/null; then
  echo "setup: installing uv"
  "$python" -m pip install -q --disable-pip-version-check uv
fi
[[ -x .venv/bin/python ]] || uv venv -q --python "$python" .venv
VIRTUAL_ENV=$PWD/.venv uv pip install -q -e '.[matrix,dev]'
echo "setup: ready ($(.venv/bin/python -c 'import nicegui; print("NiceGUI", nicegui.__version__)'), $(chromedriver --version | cut -d' ' -f1-2))"
