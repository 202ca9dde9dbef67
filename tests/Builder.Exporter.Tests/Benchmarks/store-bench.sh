#!/usr/bin/env bash
# Store benchmarks of issue 5 point 6, end to end through the builder CLI (process start included):
#   pull:  `builder pull` of the Debian base (download and verify; layers are unpacked on first use) into a
#          fresh data root  vs  `skopeo copy docker://… oci:DIR` (download only)
#   first use: `builder run --rm IMAGE true` right after that pull (unpack into snapshots, one container)
#          vs  `umoci unpack` of skopeo's layout
#   push:  `builder push` of the pulled image to a fresh repository of another registry
#          vs  `skopeo copy oci:DIR docker://…` of the same image
#   docker archive of a ~300 MB one-layer image: `builder save` and `builder build -o type=docker`
#          vs  `buildah push IMAGE docker-archive:FILE`
# Needs the bench registry of ../shared/bench/setup.sh (localhost:5000/debian:bookworm), skopeo and
# buildah. Starts its own docker-registry on a free port as the push target. Usage: store-bench.sh [RUNS]
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
builder=$repo/builder  # the entry script: the NativeAOT CLI, as users run it
src=localhost:5000/debian:bookworm
work=$(mktemp -d /var/tmp/store-bench.XXXXXX)
trap '[[ -n $registry_pid ]] && kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT

registry_pid=
# start_registry NAME: a fresh docker-registry (new port, empty storage) as a push target, so neither
# tool can skip or cross-mount a blob it pushed in an earlier run (skopeo's blob-info cache would).
start_registry() {
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null || true
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/registry-$1.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry-$1}}
http: {addr: 127.0.0.1:$port}
YML
  docker-registry serve "$work/registry-$1.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  dst=127.0.0.1:$port
}

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.2f  min %.2f  max %.2f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR]}'; }

: >"$work/pull.b"; : >"$work/pull.s"; : >"$work/unpack.b"; : >"$work/pull.u"; : >"$work/push.b"; : >"$work/push.s"
for i in $(seq "$runs"); do
  rm -rf "$work/root" "$work/oci" "$work/bundle"
  t "$builder" --root "$work/root" pull "$src" >>"$work/pull.b"
  t skopeo copy -q --src-tls-verify=false "docker://$src" "oci:$work/oci:img" >>"$work/pull.s"
  t "$builder" --root "$work/root" run --rm "$src" true >>"$work/unpack.b"
  t umoci unpack --image "$work/oci:img" "$work/bundle" >>"$work/pull.u"
  start_registry "ours-$i"
  t "$builder" --root "$work/root" push "$src" "$dst/bench/debian:v1" >>"$work/push.b"
  start_registry "skopeo-$i"
  t skopeo copy -q --dest-tls-verify=false "oci:$work/oci:img" "docker://$dst/bench/debian:v1" >>"$work/push.s"
done
echo "pull   builder: $(stats <"$work/pull.b")"
echo "pull   skopeo:  $(stats <"$work/pull.s")"
echo "first use: builder run (unpack + container): $(stats <"$work/unpack.b")"
echo "           umoci unpack of skopeo's layout:  $(stats <"$work/pull.u")"
echo "push   builder: $(stats <"$work/push.b")"
echo "push   skopeo:  $(stats <"$work/push.s")"

# A ~300 MB one-layer image: the Debian rootfs plus 130 MB of incompressible files.
rm -rf "$work/root"
mkdir -p "$work/big"
tar -C "$work/big" -xf /var/tmp/bench-cache/debian-bookworm.tar
mkdir -p "$work/big/opt/blobs"
for n in $(seq 13); do head -c 10000000 /dev/urandom >"$work/big/opt/blobs/$n.bin"; done
"$builder" --root "$work/root" import "$work/big" bench/big:1 >/dev/null
"$builder" --root "$work/root" save -o "$work/big.tar" bench/big:1
buildah pull -q "docker-archive:$work/big.tar" >/dev/null
printf 'FROM bench/big:1\n' >"$work/Dockerfile"
: >"$work/save.b"; : >"$work/build.b"; : >"$work/buildah"
for i in $(seq "$runs"); do
  rm -f "$work/out-"*.tar
  t "$builder" --root "$work/root" save -o "$work/out-save.tar" bench/big:1 >>"$work/save.b"
  t "$builder" --root "$work/root" build --progress plain -f "$work/Dockerfile" -o "type=docker,dest=$work/out-build.tar" "$work" >>"$work/build.b" 2>/dev/null || echo "build failed" >&2
  t buildah push -q bench/big:1 "docker-archive:$work/out-buildah.tar:bench/big:1" >>"$work/buildah"
done
ls -l "$work"/out-*.tar | awk '{print $5, $9}'
echo "docker-archive builder save:            $(stats <"$work/save.b")"
echo "docker-archive builder build -o docker: $(stats <"$work/build.b")"
echo "docker-archive buildah push:            $(stats <"$work/buildah")"
buildah rmi -f bench/big:1 >/dev/null 2>&1 || true
