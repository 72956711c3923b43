#!/usr/bin/env bash
# README command 2 (and CI): set up (first run included), lint (tools/lint.sh: a lint error
# fails the run before any test), then run the whole test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup_env.sh
bash tools/lint.sh
python -m pytest tests "$@"
