#!/usr/bin/env bash
# One-command set-up: torch (the CPU build unless you already have one), then cv-grader itself,
# editable, with its compiled kernels and the test dependencies.
#
#   bash scripts/setup.sh            # CPU torch 2.13.0 if no torch is installed
#   CVG_CUDA=ON bash scripts/setup.sh  # require the CUDA kernels (fails without nvcc)
#
# With a GPU: install the CUDA build of torch you want first (see pytorch.org); this script keeps
# any torch that is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "setup: keeping the installed torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"
else
  # Installed before the project so that its unpinned torch requirement is already met: an
  # unpinned torch with none installed would pull a multi-GB CUDA build.
  "$PYTHON" -m pip install "torch==2.13.0"
fi
"$PYTHON" -m pip install -e ".[dev]"
"$PYTHON" -c "import reference; info = reference.build_info(); print('setup: kernels built:', info)"
