#!/usr/bin/env bash
# Data-parallel training with msrun:  bash scripts/run_distribute_train.sh DEVICE_NUM CONFIG [EXTRA FLAGS]
#   DEVICE_NUM   devices (worker processes) on this node
#   CONFIG       a YAML of configs/ (kd_way or t_net_name in it: distill, otherwise classify)
# Environment (multi-node: the same command on every node, NODE_RANK 0..NODE_NUM-1, MASTER_ADDR = node 0's address):
#   DEVICE_TARGET (CPU)  NODE_NUM (1)  NODE_RANK (0)  MASTER_ADDR (127.0.0.1)  MASTER_PORT (8118)
#   LOG_DIR (./msrun_logs: one worker_<rank>.log per rank)
# --batch_size is per device: the global batch is batch_size x DEVICE_NUM x NODE_NUM. Add --lr_scale linear to scale
# the learning rate with the device count. Only rank 0 writes logs, metrics and checkpoints.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_help.sh"
[ $# -ge 2 ] || { echo "usage: $0 DEVICE_NUM CONFIG [EXTRA FLAGS]" >&2; exit 2; }
DEVICE_NUM="$1"; CONFIG="$2"; shift 2
[ -f "$CONFIG" ] || { echo "error: CONFIG $CONFIG: no such file; expected a YAML of configs/" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh"
NODE_NUM="${NODE_NUM:-1}"
COMMAND="$("$PY" -m ats_ms.utils.command_of "$CONFIG")"
exec "$VENV/bin/msrun" --worker_num=$((DEVICE_NUM * NODE_NUM)) --local_worker_num="$DEVICE_NUM" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-8118}" --node_rank="${NODE_RANK:-0}" \
  --log_dir="${LOG_DIR:-./msrun_logs}" --join=True \
  "$ROOT/scripts/run_$COMMAND.py" --config "$CONFIG" --distribute True --device_target "${DEVICE_TARGET:-CPU}" "$@"
