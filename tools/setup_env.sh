#!/usr/bin/env bash
# Creates (once) the Python environment that zoo runs in, then installs this checkout into it.
#
#   source tools/setup_env.sh     # or: bash tools/setup_env.sh
#
# The environment lives outside the checkout, in $ZOO_CACHE (default ~/.cache/zoo), keyed by the
# Python version and the contents of requirements/*.txt, so fresh clones (CI) reuse it. mmcv 2.1.0
# has no wheel for torch 2.14: its compiled ops are built once from the PyPI source (about
# 15 minutes on 2 cores) and the wheel is cached in $ZOO_CACHE/wheels. Re-running is a no-op apart
# from re-pointing the editable install of zoo at this checkout.
set -euo pipefail

ZOO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZOO_CACHE="${ZOO_CACHE:-$HOME/.cache/zoo}"
PYTHON="${ZOO_PYTHON:-python3}"
MMCV_VERSION=2.1.0
TORCH_VERSION=$(sed -n 's/^torch==//p' "$ZOO_ROOT/requirements/torch.txt")

py_tag=$("$PYTHON" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
req_hash=$(cat "$ZOO_ROOT"/requirements/*.txt "$ZOO_ROOT/tools/setup_env.sh" | sha256sum | cut -c1-12)
VENV="$ZOO_CACHE/venv-$py_tag-$req_hash"
WHEELS="$ZOO_CACHE/wheels/torch-$TORCH_VERSION-$py_tag"
mkdir -p "$ZOO_CACHE" "$WHEELS"

# One set-up at a time: a second caller waits instead of building mmcv twice.
exec 9>"$ZOO_CACHE/setup.lock"
flock 9

build_mmcv_wheel() {
    local work
    work=$(mktemp -d)
    echo ">>> Building mmcv $MMCV_VERSION with CPU ops from source: this takes about 15 minutes" \
         "on 2 cores, once; the wheel is cached in $WHEELS"
    "$VENV/bin/pip" download -q --no-deps --no-build-isolation --no-binary :all: \
        "mmcv==$MMCV_VERSION" -d "$work"
    tar -xzf "$work"/mmcv-$MMCV_VERSION.tar.gz -C "$work"
    # torch >= 2.10 headers require C++20; mmcv 2.1.0 hard-codes -std=c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$work/mmcv-$MMCV_VERSION/setup.py"
    (cd "$work/mmcv-$MMCV_VERSION" &&
        MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
        "$VENV/bin/pip" wheel -q --no-build-isolation --no-deps . -w "$work/dist")
    mv "$work"/dist/mmcv-*.whl "$WHEELS/"   # same file system: the cache never holds half a wheel
    rm -rf "$work"
}

if [ ! -f "$VENV/.complete" ]; then
    echo ">>> Creating the zoo environment in $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r "$ZOO_ROOT/requirements/build.txt"
    "$VENV/bin/pip" install -q -r "$ZOO_ROOT/requirements/torch.txt"
    ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1 || build_mmcv_wheel
    # The torch pins keep pip from replacing the torch that mmcv was built against.
    "$VENV/bin/pip" install -q "$WHEELS"/mmcv-$MMCV_VERSION-*.whl \
        -r "$ZOO_ROOT/requirements/torch.txt" -r "$ZOO_ROOT/requirements/runtime.txt" \
        -r "$ZOO_ROOT/requirements/tests.txt"
    touch "$VENV/.complete"
fi

# Point the environment's zoo at this checkout (cheap; clones differ in path).
"$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$ZOO_ROOT"
flock -u 9

export ZOO_VENV="$VENV"
export PATH="$VENV/bin:$PATH"
