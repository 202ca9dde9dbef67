#!/usr/bin/env bash
# The main job, end to end on a fresh machine with no registry: make a base image from Debian's
# busybox-static with `builder import`, build examples/hello with `builder build`, run the result.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v busybox >/dev/null; then
  echo "examples/run.sh: installing Debian's busybox-static for the base image" >&2
  apt-get install -y -qq busybox-static >/dev/null
fi
busybox=$(command -v busybox)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,root,tmp}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

./builder import "$rootfs" example/busybox:local
./builder build --progress=plain -t example/hello:latest --build-arg BASE=example/busybox:local examples/hello
./builder run --rm example/hello:latest
