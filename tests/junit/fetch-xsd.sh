#!/usr/bin/env bash
# Fetches the common JUnit XML schema (junit-10.xsd, the Jenkins xUnit plugin's, MIT) that
# tests/conform/junit_xsd.rs validates every JUnit file of obharness against, and prints its
# path. It comes from pytest's source distribution on PyPI (which tests its own JUnit output
# with it), checked by SHA-256; nothing of it is committed here.
set -euo pipefail
dir="${1:-target/junit-xsd}"
xsd="$dir/junit-10.xsd"
want=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6
if [ ! -f "$xsd" ] || ! echo "$want  $xsd" | sha256sum --check --status; then
  mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --no-binary :all: pytest==8.1.1 -d "$dir" >&2
  tar -xzf "$dir/pytest-8.1.1.tar.gz" -C "$dir" --strip-components=3 pytest-8.1.1/testing/example_scripts/junit-10.xsd
  echo "$want  $xsd" | sha256sum --check --status || { echo "junit-10.xsd: unexpected SHA-256" >&2; exit 1; }
fi
echo "$xsd"
