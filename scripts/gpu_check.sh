#!/usr/bin/env bash
# On a machine with a CUDA GPU: build the CUDA kernels (required, not optional), check them
# against the CPU kernels, grade every CUDA and Numba-CUDA challenge with its example solution,
# and print the speed table (and torchvision's CUDA ops beside ours where torchvision is
# installed). Budget: under 5 minutes on one GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
CVG_CUDA=ON bash scripts/setup.sh
python3 -c "import reference, sys; info = reference.build_info(); print(info); sys.exit(0 if info['gpu_available'] else 1)"
python3 -m pytest -q tests/test_kernels.py
python3 benchmarks/gpu_table.py
