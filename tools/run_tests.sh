#!/usr/bin/env bash
# README command 2 (and CI): set up (first run included), lint (tools/lint.sh: a lint error
# fails the run before any test), then run the test suite without the tests marked slow (the
# full parity sweeps, every config's export, the kill-at-every-moment runs: hours on 2 cores).
# Extra arguments go to pytest: `bash tools/run_tests.sh -m slow` runs the slow ones instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup_env.sh
bash tools/lint.sh
python -m pytest tests -m "not slow" "$@"
