#!/usr/bin/env bash
# README command 1: set up (first run included), make the digits data set, train LeNet-5 with
# tools/train.py, then evaluate the final checkpoint with tools/test.py (prints top-1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/setup_env.sh

CONFIG=configs/lenet/lenet5_1xb64_digits.py
WORK_DIR=${WORK_DIR:-work_dirs/lenet5_1xb64_digits}

python tools/dataset_converters/digits_to_imagefolder.py --out data/digits
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
# last_checkpoint names the checkpoint relative to the work dir
python tools/test.py "$CONFIG" "$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint")" --work-dir "$WORK_DIR"
