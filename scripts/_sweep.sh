#!/usr/bin/env bash
# The paper's tp_tau x t_tau grid on several devices: one sweep worker per device through msrun (no gradient
# communication); the workers divide the grid through claim files in the sweep folder (docs/distributed.md).
# Shared by run_sweep_gpu.sh and run_sweep_ascend.sh:
#   bash scripts/run_sweep_gpu.sh CONFIG NUM_DEVICES [EXTRA FLAGS]
# Environment (several machines sharing the sweep folder: the same command on each, NODE_RANK 0..NODE_NUM-1):
#   DEVICE_TARGET (set by the wrapper)  NODE_NUM (1)  NODE_RANK (0)  MASTER_ADDR (127.0.0.1)  MASTER_PORT (8119)
#   LOG_DIR (./msrun_logs/sweep: one worker_<rank>.log per worker)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_help.sh"
[ $# -ge 2 ] || { echo "usage: $0 CONFIG NUM_DEVICES [EXTRA FLAGS]" >&2; exit 2; }
CONFIG="$1"; NUM_DEVICES="$2"; shift 2
[ -f "$CONFIG" ] || { echo "error: CONFIG $CONFIG: no such file; expected a distillation YAML" >&2; exit 2; }
[[ "$NUM_DEVICES" =~ ^[1-9][0-9]*$ ]] || { echo "error: NUM_DEVICES=$NUM_DEVICES; expected a positive integer" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh"
NODE_NUM="${NODE_NUM:-1}"
exec "$VENV/bin/msrun" --worker_num=$((NUM_DEVICES * NODE_NUM)) --local_worker_num="$NUM_DEVICES" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-8119}" --node_rank="${NODE_RANK:-0}" \
  --log_dir="${LOG_DIR:-./msrun_logs/sweep}" --join=True \
  "$ROOT/scripts/run_sweep.py" --config "$CONFIG" --device_target "$DEVICE_TARGET" "$@"
