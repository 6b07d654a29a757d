#!/usr/bin/env bash
# Model-zoo style single-device run on GPU:  bash scripts/run_standalone_train_gpu.sh CONFIG [DEVICE_ID] [EXTRA FLAGS]
# CONFIG is a YAML of configs/: one that sets kd_way or t_net_name runs distill, any other classify. Output goes to ./logs and ./ckpts unless the YAML or EXTRA FLAGS say otherwise.
set -euo pipefail
DEVICE_TARGET="${DEVICE_TARGET:-GPU}"
source "$(dirname "${BASH_SOURCE[0]}")/_train_config.sh"
