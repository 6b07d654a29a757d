#!/usr/bin/env bash
# Model-zoo style single-device run on Ascend:  bash scripts/run_standalone_train_ascend.sh CONFIG [DEVICE_ID] [EXTRA]
set -euo pipefail
DEVICE_TARGET="${DEVICE_TARGET:-Ascend}"
source "$(dirname "${BASH_SOURCE[0]}")/_train_config.sh"
