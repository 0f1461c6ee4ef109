#!/usr/bin/env bash
# `make demo`: local stack, indices, a worker, the sample corpus ingested, the web app.
# `make demo-stop` stops the worker and the web app started here.
set -euo pipefail
cd "$(dirname "$0")/.."

stop=0
if [ "${1:-}" = "--stop" ]; then stop=1; shift; fi
sample="${1:-../shared/corpus/sample}"
port="${2:-5000}"
var="${3:-var}"
run="$var/demo"
sohoa=(python3 -m app.cli)
mkdir -p "$run"

stop_pidfile() {
  local file="$1"
  if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
    kill -TERM -- "-$(cat "$file")" 2>/dev/null || kill -TERM "$(cat "$file")"
    echo "stopped $(basename "$file" .pid)"
  fi
  rm -f "$file"
}

if [ "$stop" -eq 1 ]; then
  stop_pidfile "$run/web.pid"
  stop_pidfile "$run/worker.pid"
  exit 0
fi

"${sohoa[@]}" stack up
"${sohoa[@]}" init

if [ -f "$run/worker.pid" ] && kill -0 "$(cat "$run/worker.pid")" 2>/dev/null; then
  echo "worker already running (pid $(cat "$run/worker.pid"))"
else
  setsid "${sohoa[@]}" worker --loglevel warning >"$run/worker.log" 2>&1 &
  echo $! >"$run/worker.pid"
  echo "worker started (pid $!, log $run/worker.log)"
fi

"${sohoa[@]}" agencies load "$sample/agencies.csv" 2>/dev/null || true
# The sample manifest indexes fully; any failure is printed with its reason above the summary.
"${sohoa[@]}" ingest "$sample/manifest.jsonl" --wait

# Two demo accounts with a random web password each (kept, readable only by you, in $run).
# The accounts live in Elasticsearch and the files here: either may have outlived the other
# (another demo on the same node, a fresh node), so every run makes them agree again.
for account in "canbo officer" "quanly manager"; do
  set -- $account
  if [ ! -f "$run/password-$1" ]; then
    python3 -c 'import secrets; print(secrets.token_urlsafe(12))' >"$run/password-$1"
  fi
  chmod 600 "$run/password-$1"
  if token=$("${sohoa[@]}" users add "$1" --role "$2" --password-stdin <"$run/password-$1" 2>/dev/null); then
    echo "$token" >"$run/token-$1"
  else  # the account exists already: its password from the file, and a new token
    "${sohoa[@]}" users set-password "$1" --password-stdin <"$run/password-$1" >/dev/null
    "${sohoa[@]}" users rotate-token "$1" >"$run/token-$1"
  fi
  chmod 600 "$run/token-$1"
done

if [ -f "$run/web.pid" ] && kill -0 "$(cat "$run/web.pid")" 2>/dev/null; then
  echo "web app already running (pid $(cat "$run/web.pid"))"
else
  setsid "${sohoa[@]}" serve --port "$port" >"$run/web.log" 2>&1 &
  echo $! >"$run/web.pid"
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
fi

echo
echo "sohoa is running: http://127.0.0.1:$port/"
echo "  sign in as canbo (officer, password in $run/password-canbo)"
echo "          or quanly (manager, password in $run/password-quanly)"
echo "  API tokens: $run/token-canbo, $run/token-quanly"
echo "  stop: make demo-stop && python3 -m app.cli stack down"
