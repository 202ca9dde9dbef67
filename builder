#!/bin/sh
# The `builder` command. On first use, and whenever a source changed since the last build, it builds the
# CLI (NativeAOT, Release) into .build/cli; then it runs it.
#
# The up-to-date check starts no process: each build leaves .build/cli/sources.sh, one `for` over every
# file and directory under src (bin/ and obj/ aside) plus the two props files, and the shell's own
# `test -nt` compares each with the stamp taken when that build started. An edited file is newer itself;
# a new, removed or renamed one makes its directory newer: so it sees every change `find -newer` sees,
# for about a millisecond (a `find` costs a fork, an exec and a walk).
set -eu
here=${0%/*}
[ "$here" = "$0" ] && here=.
out=$here/.build/cli
stamp=$out/.stamp
sources=$out/sources.sh

stale=
check() {
  stale=
  if [ -x "$out/builder" ] && [ -f "$stamp" ] && [ -f "$sources" ]; then
    . "$sources"
  else
    stale=1
  fi
}

check
if [ -n "$stale" ]; then
  mkdir -p "$out"
  exec 9>"$here/.build/lock"
  flock 9
  check
  if [ -n "$stale" ]; then
    echo "builder: building the CLI (Release)..." >&2
    log=$here/.build/build.log
    # The stamp and the list are taken before the build: an edit made while it runs is seen next time.
    touch "$here/.build/.stamp.next"
    (cd "$here" && find src Directory.Build.props Directory.Packages.props \( -name bin -o -name obj \) -prune -o -print) |
      sed "s/'/'\\\\''/g; s/^/'/; s/\$/'/" |
      { printf 'for f in '; tr '\n' ' '; printf '; do if [ "$here/$f" -nt "$stamp" ]; then stale=1; break; fi; done\n'; } \
      >"$here/.build/sources.sh.next"
    case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
    # NativeAOT: a warm rebuild is mostly process start-up, and a native binary starts in
    # milliseconds where the JIT (even with ReadyToRun) needs a few hundred.
    if ! dotnet publish "$here/src/Cli/Builder.Cli.csproj" -c Release -r "$rid" \
        -p:PublishAot=true -o "$out" --nologo -v quiet >"$log" 2>&1; then
      cat "$log" >&2
      echo "builder: building the CLI failed (log: $log)" >&2
      exit 1
    fi
    mv "$here/.build/sources.sh.next" "$sources"
    mv "$here/.build/.stamp.next" "$stamp"
  fi
  exec 9>&-
fi
exec "$out/builder" "$@"
