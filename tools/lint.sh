#!/usr/bin/env bash
# Lint zoo/ tools/ tests/ configs/ as the pre-commit hooks do (configuration: setup.cfg):
# flake8, isort --check and yapf --diff. Fails on the first tool that finds something.
# Fix what isort and yapf report with:
#   isort zoo tools tests configs && yapf -i -r -p zoo tools tests configs
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Arguments: the files or folders to check (default: the four folders).
if [ $# -eq 0 ]; then
    set -- zoo tools tests configs
fi
python -m flake8 "$@"
python -m isort --check-only --diff "$@"
diff=$(python -m yapf --diff --recursive --parallel "$@" || true)
if [ -n "$diff" ]; then
    echo "$diff"
    echo "yapf: the files above are not formatted (yapf -i -r -p $*)" >&2
    exit 1
fi
echo "lint: flake8, isort and yapf found nothing in $*"
