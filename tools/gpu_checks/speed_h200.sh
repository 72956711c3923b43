#!/usr/bin/env bash
# Training-loop benchmark of ResNet-50 on one GPU (prepared for an H200; not run without one):
# MMEngine's Runner on the config's loop against a plain PyTorch loop on torchvision's
# resnet50, batch 256, bf16 autocast, channels_last, synthetic uint8 images, pinned memory and
# asynchronous copies in both, eager then
# torch.compile (about a minute of compiling each); then the data pipeline benchmark (zoo's
# pipeline, DecodeRandomResizedCrop, torchvision PIL and v2, decode-only) on 2,000 generated
# 500x375 JPEGs through 16 DataLoader workers; last, one bf16 channels_last MobileNetV3-L training
# step of zoo and torchvision under torch.profiler, kernel by kernel (Chrome traces in OUT_DIR).
# Budget: the timeouts add up to 7.5 minutes.
#     bash tools/gpu_checks/speed_h200.sh [OUT_DIR]
# SPEED_SMOKE=1 runs the same steps with the same switches on the CPU at toy sizes (batch 2, one
# iteration, 8 photos, 2 workers; timeouts tripled), to check the commands before a GPU session;
# its figures mean nothing (tests/tools/test_speed_h200_script.py, about 5 minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-work_dirs/speed_h200}}
mkdir -p "$out"
if [[ "${SPEED_SMOKE:-0}" == 1 ]]; then
    device=cpu batch=2 loader_workers=2 iters=1 rounds=1 warmup=1 scale=3
    images=8 data_workers=2 data_batch=4 profile_batch=2 profile_steps=1
    echo 'SPEED_SMOKE=1: the CPU at toy sizes; the figures mean nothing' | tee "$out/gpu.txt"
else
    device=cuda batch=256 loader_workers=8 iters=30 rounds=5 warmup=5 scale=1
    images=2000 data_workers=16 data_batch=64 profile_batch=128 profile_steps=3
    python -c 'import torch; assert torch.cuda.is_available(), "speed_h200.sh needs a GPU"'
    nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
fi
common=(configs/resnet/resnet50_8xb32_in1k.py --synthetic --device "$device" --amp --channels-last
        --iters "$iters" --rounds "$rounds" --warmup "$warmup"
        --cfg-options train_dataloader.batch_size="$batch"
        train_dataloader.num_workers="$loader_workers"
        train_dataloader.pin_memory=True data_preprocessor.non_blocking=True)
echo '== ResNet-50 eager =='
timeout $((100 * scale)) python tools/analysis_tools/benchmark_training.py "${common[@]}" \
    | tee "$out/r50_eager.txt"
echo '== ResNet-50 compiled =='
timeout $((220 * scale)) python tools/analysis_tools/benchmark_training.py "${common[@]}" \
    --compile | tee "$out/r50_compile.txt"
echo "== data pipeline, $data_workers workers =="
timeout $((80 * scale)) python tools/analysis_tools/benchmark_data.py \
    configs/resnet/resnet50_8xb32_in1k.py --num-images "$images" --rounds 5 \
    --workers "$data_workers" --batch-size "$data_batch" | tee "$out/data_w16.txt"
echo '== MobileNetV3-L step profile, bf16, channels_last =='
timeout $((50 * scale)) python tools/analysis_tools/profile_training_step.py \
    configs/mobilenet_v3/mobilenet-v3-large_8xb128_in1k.py --device "$device" --amp \
    --channels-last --batch-size "$profile_batch" --steps "$profile_steps" --warmup 3 --rows 20 \
    --trace-dir "$out/mnv3l_traces" | tee "$out/mnv3l_profile.txt"
