#!/usr/bin/env bash
# README command 2 (and CI): set up (first run included), then run the whole test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup_env.sh
python -m pytest tests "$@"
