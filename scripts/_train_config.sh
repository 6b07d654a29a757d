#!/usr/bin/env bash
# Shared by run_standalone_train_{gpu,ascend}.sh: runs one configs/*.yaml on DEVICE_TARGET with DEVICE_ID.
source "$(dirname "${BASH_SOURCE[0]}")/_help.sh"
[ $# -ge 1 ] || { echo "usage: $0 CONFIG [DEVICE_ID] [EXTRA FLAGS]" >&2; exit 2; }
CONFIG="$1"; shift
DEVICE_ID="${1:-0}"; [ $# -ge 1 ] && shift
[ -f "$CONFIG" ] || { echo "error: CONFIG $CONFIG: no such file; expected a YAML of configs/" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh"
COMMAND="$("$PY" -m ats_ms.utils.command_of "$CONFIG")"
exec "$PY" -m ats_ms "$COMMAND" --config "$CONFIG" --device_target "$DEVICE_TARGET" --device_id "$DEVICE_ID" "$@"
