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
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-work_dirs/speed_h200}}
mkdir -p "$out"
python -c 'import torch; assert torch.cuda.is_available(), "speed_h200.sh needs a GPU"'
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
common=(configs/resnet/resnet50_8xb32_in1k.py --synthetic --device cuda --amp --channels-last
        --iters 30 --rounds 5 --warmup 5
        --cfg-options train_dataloader.batch_size=256 train_dataloader.num_workers=8
        train_dataloader.pin_memory=True data_preprocessor.non_blocking=True)
echo '== ResNet-50 eager =='
timeout 100 python tools/analysis_tools/benchmark_training.py "${common[@]}" \
    | tee "$out/r50_eager.txt"
echo '== ResNet-50 compiled =='
timeout 220 python tools/analysis_tools/benchmark_training.py "${common[@]}" --compile \
    | tee "$out/r50_compile.txt"
echo '== data pipeline, 16 workers =='
timeout 80 python tools/analysis_tools/benchmark_data.py configs/resnet/resnet50_8xb32_in1k.py \
    --num-images 2000 --rounds 5 --workers 16 --batch-size 64 | tee "$out/data_w16.txt"
echo '== MobileNetV3-L step profile, bf16, channels_last =='
timeout 50 python tools/analysis_tools/profile_training_step.py \
    configs/mobilenet_v3/mobilenet-v3-large_8xb128_in1k.py --device cuda --amp --channels-last \
    --batch-size 128 --steps 3 --warmup 3 --rows 20 --trace-dir "$out/mnv3l_traces" \
    | tee "$out/mnv3l_profile.txt"
