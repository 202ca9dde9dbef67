#!/usr/bin/env bash
# The `builder` command. On first use, and whenever a source file is newer than the last
# build, it builds the CLI in Release into .build/cli; then it runs it. The up-to-date check
# is one `find` that stops at the first newer file.
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
out="$here/.build/cli"
stamp="$out/.stamp"

needs_build() {
  [[ -x "$out/builder" && -f "$stamp" ]] || return 0
  [[ -n "$(find "$here/src" "$here/Directory.Build.props" "$here/Directory.Packages.props" \
      \( -name bin -o -name obj \) -prune -o -newer "$stamp" -print -quit 2>/dev/null)" ]]
}

if needs_build; then
  mkdir -p "$out"
  exec 9>"$here/.build/lock"
  flock 9
  if needs_build; then
    echo "builder: building the CLI (Release)..." >&2
    log="$here/.build/build.log"
    touch "$here/.build/.stamp.next"
    case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
    # NativeAOT: a warm rebuild is mostly process start-up, and a native binary starts in
    # milliseconds where the JIT (even with ReadyToRun) needs a few hundred.
    if ! dotnet publish "$here/src/Cli/Builder.Cli.csproj" -c Release -r "$rid" \
        -p:PublishAot=true -o "$out" --nologo -v quiet >"$log" 2>&1; then
      cat "$log" >&2
      echo "builder: building the CLI failed (log: $log)" >&2
      exit 1
    fi
    mv "$here/.build/.stamp.next" "$stamp"
  fi
  exec 9>&-
fi
exec "$out/builder" "$@"
