#!/bin/sh
# bench/baseline.sh REV: builds revision REV of this repository (a git
# worktree under build/baseline-REV) so that `make bench
# BENCH_BASELINE=build/baseline-REV/build` times it beside the current tree,
# in the same run, on the same data.
set -eu
[ $# -eq 1 ] || { echo "usage: bench/baseline.sh REV" >&2; exit 64; }
cd "$(dirname "$0")/.."
rev=$(git rev-parse --short "$1")
dir=build/baseline-$rev
if [ ! -d "$dir" ]; then
        mkdir -p build
        git worktree add --detach "$dir" "$rev" >/dev/null
fi
make -s -C "$dir" -j2 >/dev/null
echo "$dir/build"
