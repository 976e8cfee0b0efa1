#!/usr/bin/env bash
# Create or reuse .venv, install the pinned stack with one pip command, and install mmcv 2.1.0
# from a cached wheel (compiled once, 9-14 min on 2 cores; seconds afterwards).
#   tools/setup_env.sh          core + mmcv (everything: tests, second stage)
#   tools/setup_env.sh --core   core only (the demo needs no mmcv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${WSSEG_VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.wsseg-installed"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || ! cmp -s requirements.txt "$STAMP"; then
  echo "[setup] pip install -r requirements.txt (pinned)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -e .
  cp requirements.txt "$STAMP"
fi
[ "${1:-}" = "--core" ] && exit 0

if "$VENV/bin/python" -c "import mmcv, mmcv.ops" 2>/dev/null; then exit 0; fi
TAG=$("$VENV/bin/python" -c "import sys, torch; print(f'py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__.replace(\"+\", \"_\")}')")
FORCE_CUDA=0
if command -v nvcc >/dev/null && "$VENV/bin/python" -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  FORCE_CUDA=1   # a GPU machine with CUDA's compiler: build the CUDA ops too
fi
CACHE=${WSSEG_WHEEL_CACHE:-$HOME/.cache/wsseg/wheels}/mmcv-2.1.0-$TAG-cuda$FORCE_CUDA
mkdir -p "$CACHE"
if ! ls "$CACHE"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
  echo "[setup] compiling mmcv 2.1.0 (FORCE_CUDA=$FORCE_CUDA); once only, 9-14 min on 2 cores"
  BUILD=$(mktemp -d)
  "$VENV/bin/python" -m pip download -q --no-deps --no-binary :all: mmcv==2.1.0 -d "$BUILD"
  tar -xzf "$BUILD"/mmcv-2.1.0.tar.gz -C "$BUILD"
  # ATen headers of torch >= 2.14 need C++20; the sdist hard-codes C++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-2.1.0/setup.py"
  (cd "$BUILD/mmcv-2.1.0" && FORCE_CUDA=$FORCE_CUDA MAX_JOBS=${MAX_JOBS:-2} \
     "$OLDPWD/$VENV/bin/python" -m pip wheel -q --no-build-isolation --no-deps . -w "$CACHE")
  rm -rf "$BUILD"
fi
"$VENV/bin/python" -m pip install -q --no-deps --disable-pip-version-check "$CACHE"/mmcv-2.1.0-*.whl
"$VENV/bin/python" -c "import mmcv.ops; print('[setup] mmcv', mmcv.__version__, 'with compiled ops')"
