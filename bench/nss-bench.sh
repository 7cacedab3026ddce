#!/bin/sh
# getpwnam_r through libnss_mailacct.so.2 at 1,000 and 100,000 mailboxes:
# median ns per hit and per miss with the directory loaded, and what a fresh
# process pays for its first lookup (dlopen + loading the directory), median
# over $NSS_BENCH_RUNS processes. A benchmark, not a test: nothing fails on a
# slow figure.
#
#   make BUILD=build/x && BUILD=build/x bench/nss-bench.sh
#
# Environment: BUILD (default build), NSS_BENCH_N (default "1000 100000"),
# NSS_BENCH_RUNS (default 21), BENCH_DATA (generated directories; default
# $BUILD/bench-data, reused when present), CC.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${NSS_BENCH_N:-1000 100000}
RUNS=${NSS_BENCH_RUNS:-21}
DATA=${BENCH_DATA:-$BUILD/bench-data}
MODULE=$(readlink -f "$BUILD/libnss_mailacct.so.2" 2>/dev/null || true)
TOOL=$BUILD/bench/nss_lookup

[ -n "$MODULE" ] && [ -f "$MODULE" ] || { echo "nss-bench: build first: make BUILD=$BUILD" >&2; exit 2; }
if readelf -d "$MODULE" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
        echo "nss-bench: $MODULE is an ASan build; benchmark a normal build" >&2
        exit 2
fi
mkdir -p "$(dirname "$TOOL")"
if [ ! -x "$TOOL" ] || [ bench/nss_lookup.c -nt "$TOOL" ]; then
        ${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -o "$TOOL" bench/nss_lookup.c -ldl
fi

median() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# directories: bench/gen-directory.py N DIR writes mailacct.conf, hits, misses
gen() {
        dir=$DATA/n$1
        if [ ! -f "$dir/mailacct.conf" ] || [ ! -f "$dir/hits" ] || [ ! -f "$dir/misses" ]; then
                python3 bench/gen-directory.py "$1" "$dir" >&2
        fi
        # The module reads the configuration file; a compiled index next to it
        # would be a different benchmark (make bench measures that one).
        chmod 644 "$dir/mailacct.conf"
        echo "$dir"
}

printf '%-10s %9s %9s %9s %12s %10s %8s\n' mailboxes hit_ns miss_ns stat_ns first_ms dlopen_ms conf_MB
for n in $SIZES; do
        dir=$(gen "$n")
        conf=$(readlink -f "$dir/mailacct.conf")
        steady=$("$TOOL" steady "$MODULE" "$conf" "$dir/hits" "$dir/misses")
        hit=${steady#hit_ns=}
        hit=${hit%% *}
        miss=${steady#*miss_ns=}
        miss=${miss%% *}
        st=${steady#*stat_ns=}
        login=$(head -n 1 "$dir/hits")
        : >"$dir/first.txt"
        i=0
        while [ $i -lt "$RUNS" ]; do
                "$TOOL" first "$MODULE" "$conf" "$login" >>"$dir/first.txt"
                i=$((i + 1))
        done
        first=$(sed 's/.*first_ns=//' "$dir/first.txt" | median)
        dl=$(sed 's/dlopen_ns=\([0-9]*\).*/\1/' "$dir/first.txt" | median)
        size=$(stat -c %s "$conf")
        printf '%-10s %9s %9s %9s %12s %10s %8s\n' "$n" "$hit" "$miss" "$st" \
                "$(awk -v v="$first" 'BEGIN { printf "%.2f", v / 1e6 }')" \
                "$(awk -v v="$dl" 'BEGIN { printf "%.2f", v / 1e6 }')" \
                "$(awk -v v="$size" 'BEGIN { printf "%.1f", v / 1048576 }')"
done
echo "hit/miss: median ns per getpwnam_r with the directory loaded (address logins; misses are"
echo "plausible addresses in hosted domains). first: a fresh process's first getpwnam_r, median of $RUNS"
echo "processes (parses the configuration file); dlopen: loading the module itself. stat: one stat() of"
echo "the configuration, which the module does per lookup to notice changes (part of hit and miss)."
