#!/bin/sh
# Time and peak memory of `christen tally` on a 1,000,000-ballot contest, one
# cast vote record per ballot, in every format it reads (issue 14, item 6).
# Asserts nothing. Per binary and format it prints:
#   MB        the file's size (a folder's: all its files), 10^6 bytes;
#   cli s     wall seconds of `christen tally` (best of RUNS);
#   cli MiB   its peak resident memory (VmHWM, GNU time's %M);
#   read s    file to grouped ballots, from benches/tally_read.rs (the
#             library's readers, called as the CLI calls them, timed apart
#             from the count; best of RUNS);
#   MB/s      the read rate (file size / read s);
#   count s   `tally::count`, IRV, on the grouped ballots;
#   lib MiB   tally_read's own peak;
#   winner    as the CLI prints it (every format must elect the same one).
#
#   cargo build --release --bin christen --example tally_read
#   benches/tally_scale.sh [BINARY...]      # default: target/release/christen
#
# tally_read is taken from next to each binary (DIR/examples/tally_read, as
# cargo builds it), so give two binaries (a build of main copied aside with
# its examples/tally_read, then this branch's) to compare them in the same run
# on the same files. BALLOTS (default 1000000), CANDIDATES (10) and
# HART_BALLOTS (100000: Hart is one file per ballot) change the contest; DATA
# names a folder to write the files in and keep (default: a temporary one),
# reused when it already holds them; RUNS (default 3) the runs per figure;
# CLI=0 skips the CLI runs (their columns print -).
set -eu
BALLOTS=${BALLOTS:-1000000}
CANDIDATES=${CANDIDATES:-10}
HART_BALLOTS=${HART_BALLOTS:-100000}
RUNS=${RUNS:-3}
CLI=${CLI:-1}
[ $# -gt 0 ] || set -- target/release/christen
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=${DATA:-$tmp/data}
mkdir -p "$dir"
if [ ! -f "$dir/ess_config.json" ]; then
    python3 "$here/tally_scale_gen.py" "$dir" "$BALLOTS" "$CANDIDATES" "$HART_BALLOTS"
fi
printf '%s ballots (hart: %s), %s candidates, in %s\n' "$BALLOTS" "$HART_BALLOTS" "$CANDIDATES" "$dir"

# format:file:extra CLI arguments (the reader's name for tally_read first).
cases='rctab-csv:cvr.csv:
rctab-json:ballots.json:
csv:christen.csv:
preflib:ballots.toi:
blt:ballots.blt:
json:christen.json:
cdf:cdf.json:
cdf:cdf.xml:
dominion:dominion:--contest 7
hart:hart:--contest c-1
ess:ess.xlsx:--rctab-config ESS_CONFIG'

# Runs "$@" RUNS times; leaves "seconds KiB" of the fastest run in $tmp/best.
best_of() {
    best=""
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        i=$((i + 1))
        /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || {
            echo "failed: $*" >&2
            cat "$tmp/err" >&2
            echo "- -" >"$tmp/time"
        }
        if [ -z "$best" ] || [ "$(echo "$(cut -d' ' -f1 "$tmp/time") < ${best%% *}" | bc 2>/dev/null)" = 1 ]; then
            best=$(cat "$tmp/time")
            cp "$tmp/out" "$tmp/best_out"
        fi
    done
    echo "$best" >"$tmp/best"
}

mib() { case ${1:--} in -) echo - ;; *) echo $(($1 / 1024)) ;; esac; }

printf '%-24s %-12s %6s %7s %8s %7s %6s %7s %8s  %s\n' binary file MB "cli s" "cli MiB" "read s" "MB/s" "count s" "lib MiB" winner
for bin in "$@"; do
    reader=$(dirname "$bin")/examples/tally_read
    echo "$cases" | while IFS=: read -r format file extra; do
        path=$dir/$file
        bytes=$(du -sb --apparent-size "$path" | cut -f1)
        if [ "$format" = ess ]; then
            set -- tally --method irv --rctab-config "$dir/ess_config.json"
        else
            # shellcheck disable=SC2086 # extra is words on purpose
            set -- tally --method irv --format "$format" $extra "$path"
        fi
        cli_s=- cli_kib=- winner=-
        if [ "$CLI" != 0 ]; then
            best_of "$bin" "$@"
            read -r cli_s cli_kib <"$tmp/best"
            winner=$(grep -m1 Elected "$tmp/best_out" | sed 's/^Elected: //' || true)
        fi
        contest=${extra#--contest }
        [ "$contest" != "$extra" ] || contest=""
        if [ -x "$reader" ]; then
            # shellcheck disable=SC2086
            best_of "$reader" "$format" "$path" $contest
            # format bytes read_s MB/s groups count_s peak winner
            read -r _ _ read_s rate _ count_s lib_mib lib_winner <"$tmp/best_out" || true
            [ "$winner" != - ] || winner="$lib_winner"
        else
            read_s=- rate=- count_s=- lib_mib=-
        fi
        printf '%-24s %-12s %6s %7s %8s %7s %6s %7s %8s  %s\n' "$(echo "$bin" | tail -c 24)" "$file" \
            "$((bytes / 1000000))" "$cli_s" "$(mib "$cli_kib")" "$read_s" "$rate" "$count_s" "$lib_mib" "$winner"
    done
done
