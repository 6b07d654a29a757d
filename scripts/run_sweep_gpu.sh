#!/usr/bin/env bash
# The paper's grid on several GPUs: bash scripts/run_sweep_gpu.sh CONFIG NUM_DEVICES [EXTRA FLAGS] (see _sweep.sh).
DEVICE_TARGET="${DEVICE_TARGET:-GPU}" exec bash "$(dirname "${BASH_SOURCE[0]}")/_sweep.sh" "$@"
