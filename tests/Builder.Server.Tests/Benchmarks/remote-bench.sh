#!/usr/bin/env bash
# Issue 7 point 8: remote (builder serve over a unix socket) against local builds of the copyctx
# scenario (warm rebuild, touch one file), and eight different small Dockerfiles built remotely one
# after another and all at once. Needs the bench registry and context of ../shared/bench/setup.sh
# (localhost:5000/busybox, /var/tmp/bench-cache/copyctx). Usage: remote-bench.sh [RUNS]
set -uo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
B=$repo/builder  # the entry script: the NativeAOT CLI, as users run it
W=$(mktemp -d /var/tmp/remote-bench.XXXXXX)
ctx=$W/copyctx
cp -a /var/tmp/bench-cache/copyctx "$ctx"
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>"$W/err.txt" || { echo "FAILED: $*" >&2; cat "$W/err.txt" >&2; }; echo "$(date +%s.%N) - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }
"$B" --root "$W/remote" serve --addr "unix://$W/b.sock" >"$W/serve.log" 2>&1 & SP=$!
trap 'kill $SP 2>/dev/null; wait $SP 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 50); do [[ -S $W/b.sock ]] && break; sleep 0.1; done
for mode in local remote; do
  if [[ $mode == local ]]; then C=("$B" --root "$W/local"); else C=("$B" --host "unix://$W/b.sock"); fi
  cold=$(t "${C[@]}" build --network=none -t bench/copyctx:latest "$ctx")
  warm=() touch=()
  for i in $(seq "$runs"); do warm+=("$(t "${C[@]}" build --network=none -t bench/copyctx:latest "$ctx")"); done
  for i in $(seq "$runs"); do echo "change $mode $i $RANDOM" >"$ctx/src/d7/f3.txt"; touch+=("$(t "${C[@]}" build --network=none -t bench/copyctx:latest "$ctx")"); done
  echo "$mode cold=$cold warm=${warm[*]} (median $(median "${warm[@]}")) touch=${touch[*]} (median $(median "${touch[@]}"))"
done
H=(--host "unix://$W/b.sock")
for i in $(seq 8); do mkdir -p "$W/small$i"; printf 'FROM localhost:5000/busybox:latest\nRUN echo %s-$RANDOM > /f && sleep 1\n' "$i" >"$W/small$i/Dockerfile"; done
for i in $(seq 8); do "$B" "${H[@]}" build --network=none -q "$W/small$i" >/dev/null 2>&1; done  # base image pulled
s=$(date +%s.%N); for i in $(seq 8); do "$B" "${H[@]}" build --no-cache --network=none -q "$W/small$i" >/dev/null 2>&1 || echo "fail $i"; done; seq_t=$(echo "$(date +%s.%N) - $s" | bc)
pids=(); s=$(date +%s.%N)
for i in $(seq 8); do "$B" "${H[@]}" build --no-cache --network=none -q "$W/small$i" >/dev/null 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || echo "fail (pid $p)"; done
par_t=$(echo "$(date +%s.%N) - $s" | bc)
echo "eight small builds, remote: one after another ${seq_t}s, all at once ${par_t}s"
