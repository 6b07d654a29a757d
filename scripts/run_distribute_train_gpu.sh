#!/usr/bin/env bash
# Model-zoo name: bash scripts/run_distribute_train_gpu.sh DEVICE_NUM CONFIG [EXTRA FLAGS] (data parallel on GPUs).
DEVICE_TARGET=GPU exec bash "$(dirname "${BASH_SOURCE[0]}")/run_distribute_train.sh" "$@"
