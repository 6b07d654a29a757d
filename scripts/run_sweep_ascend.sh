#!/usr/bin/env bash
# The paper's grid on several Ascend devices: bash scripts/run_sweep_ascend.sh CONFIG NUM_DEVICES [EXTRA FLAGS].
DEVICE_TARGET="${DEVICE_TARGET:-Ascend}" exec bash "$(dirname "${BASH_SOURCE[0]}")/_sweep.sh" "$@"
