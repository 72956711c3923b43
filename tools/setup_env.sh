#!/usr/bin/env bash
# Creates (once) the Python environment that zoo runs in, then installs this checkout into it.
#
#   source tools/setup_env.sh     # or: bash tools/setup_env.sh
#   ZOO_MMCV=compiled source tools/setup_env.sh     # or ZOO_MMCV=lite
#
# The environment lives outside the checkout, in $ZOO_CACHE (default ~/.cache/zoo), keyed by the
# Python version, ZOO_MMCV and the contents of requirements/*.txt, so fresh clones (CI) reuse it.
# ZOO_MMCV=lite installs mmcv-lite 2.1.0, mmcv without compiled ops: zoo.mmcv_ext serves the
# ops mmdet's detectors call from torchvision's kernels (CPU and CUDA), and set-up takes a few
# minutes. ZOO_MMCV=compiled builds mmcv 2.1.0's own ops instead (no wheel exists for torch
# 2.14: about 15 minutes on 2 cores, once; the wheel is cached in $ZOO_CACHE/wheels); it adds
# mmcv's kernels for every op (rotated boxes, CARAFE, point clouds, deformable RoI pooling), CPU
# only unless built on a machine with nvcc. Unset, ZOO_MMCV is 'compiled' if that wheel is
# cached already (whoever built mmcv keeps it) and 'lite' otherwise. Each step prints one line;
# pip's output goes to a log whose path is printed, and its tail is shown if a step fails.
# Re-running is a no-op apart from re-pointing the editable install of zoo at this checkout.
set -euo pipefail

ZOO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZOO_CACHE="${ZOO_CACHE:-$HOME/.cache/zoo}"
PYTHON="${ZOO_PYTHON:-python3}"
MMCV_VERSION=2.1.0
TORCH_VERSION=$(sed -n 's/^torch==//p' "$ZOO_ROOT/requirements/torch.txt")

py_tag=$("$PYTHON" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
WHEELS="$ZOO_CACHE/wheels/torch-$TORCH_VERSION-$py_tag"
if [ -z "${ZOO_MMCV:-}" ]; then
    ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1 && ZOO_MMCV=compiled || ZOO_MMCV=lite
fi
case "$ZOO_MMCV" in
    lite|compiled) ;;
    *) echo "ZOO_MMCV=$ZOO_MMCV: use 'lite' (mmcv-lite) or 'compiled' (mmcv built with ops)" >&2
       return 1 2>/dev/null || exit 1 ;;
esac
req_hash=$(cat "$ZOO_ROOT"/requirements/*.txt "$ZOO_ROOT/tools/setup_env.sh" | sha256sum | cut -c1-12)
VENV="$ZOO_CACHE/venv-$py_tag-$ZOO_MMCV-$req_hash"
ZOO_SETUP_LOG="$ZOO_CACHE/logs/$(basename "$VENV").log"
mkdir -p "$ZOO_CACHE/logs" "$WHEELS"

# Runs "$@" with its output in the log (announced unless quiet=1); on failure shows the log's
# tail and stops.
step() {
    local what=$1
    shift
    [ "${quiet:-0}" = 1 ] || echo ">>> $what"
    echo "=== $(date +%T) $what: $*" >>"$ZOO_SETUP_LOG"
    if ! "$@" >>"$ZOO_SETUP_LOG" 2>&1; then
        echo "!!! failed: $what; the last lines of $ZOO_SETUP_LOG:" >&2
        tail -n 30 "$ZOO_SETUP_LOG" >&2
        return 1
    fi
}

build_mmcv_wheel() {
    local work
    work=$(mktemp -d)
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

# mmcv and mmcv-lite own the same mmcv/ folder: one of the two, into a fresh environment.
install_mmcv() {
    if [ "$ZOO_MMCV" = compiled ]; then
        ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1 || build_mmcv_wheel
        # The torch pins keep pip from replacing the torch that mmcv was built against.
        "$VENV/bin/pip" install "$WHEELS"/mmcv-$MMCV_VERSION-*.whl \
            -r "$ZOO_ROOT/requirements/torch.txt"
    else
        "$VENV/bin/pip" install -r "$ZOO_ROOT/requirements/mmcv.txt" \
            -r "$ZOO_ROOT/requirements/torch.txt"
    fi
}

# One set-up at a time: a second caller waits instead of building twice.
exec 9>"$ZOO_CACHE/setup.lock"
flock 9

if [ ! -f "$VENV/.complete" ]; then
    echo ">>> Creating the zoo environment in $VENV (log: $ZOO_SETUP_LOG)"
    rm -rf "$VENV"
    : >"$ZOO_SETUP_LOG"
    step "python -m venv" "$PYTHON" -m venv "$VENV"
    step "pip, setuptools, wheel, ninja" "$VENV/bin/pip" install --upgrade pip \
        -r "$ZOO_ROOT/requirements/build.txt"
    step "torch $TORCH_VERSION" "$VENV/bin/pip" install -r "$ZOO_ROOT/requirements/torch.txt"
    if [ "$ZOO_MMCV" = compiled ] && ! ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
        echo ">>> mmcv $MMCV_VERSION with CPU ops is built from source next: about 15 minutes" \
             "on 2 cores, once; the wheel is cached in $WHEELS"
    fi
    if [ "$ZOO_MMCV" = compiled ]; then
        step "mmcv $MMCV_VERSION with compiled ops" install_mmcv
    else
        step "mmcv-lite $MMCV_VERSION (ops from torchvision through zoo.mmcv_ext)" install_mmcv
    fi
    step "mmengine, mmdet, test requirements" "$VENV/bin/pip" install \
        -r "$ZOO_ROOT/requirements/torch.txt" -r "$ZOO_ROOT/requirements/runtime.txt" \
        -r "$ZOO_ROOT/requirements/tests.txt"
    step "zoo (editable, this checkout)" \
        "$VENV/bin/pip" install --no-deps --no-build-isolation -e "$ZOO_ROOT"
    touch "$VENV/.complete"
    echo ">>> Done: source tools/setup_env.sh puts $VENV on PATH"
else
    # Point the environment's zoo at this checkout (cheap; clones differ in path).
    quiet=1 step "zoo (editable, this checkout)" \
        "$VENV/bin/pip" install --no-deps --no-build-isolation -e "$ZOO_ROOT"
fi
flock -u 9

export ZOO_VENV="$VENV"
export PATH="$VENV/bin:$PATH"
