#!/usr/bin/env bash
# Sourced first by the run_*.sh scripts: with -h or --help as the first argument, print the running script's header
# comment (what it does, its arguments and environment) and exit 0, before any set-up.
case "${1:-}" in
  -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
