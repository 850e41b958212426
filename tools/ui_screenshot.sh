#!/usr/bin/env bash
# Proof that `monev up` shows the example plans as deployments with upcoming runs in
# the Prefect UI: start it on spare ports, wait for the deployments, take a headless
# Chromium screenshot (Debian package `chromium`) into docs/, stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-docs}
home=$(mktemp -d /tmp/monev-ui.XXXXXX)
export MONEV_HOME=$home MONEV_PREFECT_PORT=${MONEV_PREFECT_PORT:-4391} MONEV_HTTP_PORT=${MONEV_HTTP_PORT:-8391}
.venv/bin/monev up > "$home/up.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$home"' EXIT
api=http://127.0.0.1:$MONEV_PREFECT_PORT/api
for _ in $(seq 1 180); do
  n=$(curl -s -X POST "$api/deployments/filter" -H 'content-type: application/json' -d '{}' \
      | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
  [ "$n" -ge 13 ] && break
  sleep 1
done
sleep 5  # let the scheduler create the upcoming runs
mkdir -p "$dir"
# one deployment's page lists its upcoming runs
dep=$(curl -s -X POST "$api/deployments/filter" -H 'content-type: application/json' -d '{}' \
  | python3 -c 'import json,sys; print([d["id"] for d in json.load(sys.stdin)
      if d["name"].endswith("rb-2026") and d["schedules"]][0])')
for page in deployments "deployments/deployment/$dep"; do
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$home/chromium" --window-size=1500,1000 --virtual-time-budget=20000 \
    --screenshot="$dir/prefect-ui-${page%%/*}${page:+$([ "$page" != deployments ] && echo -upcoming)}.png" \
    "http://127.0.0.1:$MONEV_PREFECT_PORT/$page" 2>/dev/null
done
ls "$dir"/prefect-ui-*.png
