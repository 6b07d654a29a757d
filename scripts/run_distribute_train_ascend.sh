#!/usr/bin/env bash
# Model-zoo name: bash scripts/run_distribute_train_ascend.sh DEVICE_NUM CONFIG [EXTRA FLAGS] (data parallel on Ascend).
DEVICE_TARGET=Ascend exec bash "$(dirname "${BASH_SOURCE[0]}")/run_distribute_train.sh" "$@"
