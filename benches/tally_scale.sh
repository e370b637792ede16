#!/bin/sh
# Peak memory and time of `christen tally` on a 1,000,000-ballot contest, one
# cast vote record per ballot (issue 14, item 6), in RCTab generic CSV and in
# RCTab-style ballots.json. Prints, per binary and file: wall seconds and peak
# resident memory (VmHWM, from GNU time's %M). Asserts nothing.
#
#   cargo build --release --bin christen
#   benches/tally_scale.sh [BINARY...]        # default: target/release/christen
#
# Give two binaries (say a build of main copied aside, then this branch's) to
# compare them in the same run on the same files. BALLOTS (default 1000000)
# and CANDIDATES (default 10) change the contest.
set -eu
BALLOTS=${BALLOTS:-1000000}
CANDIDATES=${CANDIDATES:-10}
[ $# -gt 0 ] || set -- target/release/christen
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$BALLOTS" "$CANDIDATES" <<'PY'
import json, random, sys
out, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(14)
names = [f"Name {i}" for i in range(1, k + 1)]
weights = [1 / (i + 1) for i in range(k)]
with open(f"{out}/cvr.csv", "w") as csv, open(f"{out}/ballots.json", "w") as js:
    csv.write("Ballot ID," + ",".join(names) + "\n")
    js.write('{"candidates": ' + json.dumps(names) + ', "ballots": [\n')
    for b in range(n):
        # 1 + a geometric number of further ranks; Zipf-skewed choices.
        length = 1
        while length < k and rng.random() < 0.7:
            length += 1
        pool, w, ranking = list(range(k)), list(weights), []
        for _ in range(length):
            i = rng.choices(range(len(pool)), w)[0]
            ranking.append(pool.pop(i))
            w.pop(i)
        cells = [""] * k
        for r, c in enumerate(ranking):
            cells[c] = str(r + 1)
        csv.write(f"b{b}," + ",".join(cells) + "\n")
        slots = ",".join(f'["{names[c]}"]' for c in ranking)
        js.write(("," if b else "") + "[" + slots + "]\n")
    js.write("]}\n")
PY
printf '%s ballots, %s candidates: cvr.csv %s bytes, ballots.json %s bytes\n' "$BALLOTS" "$CANDIDATES" \
    "$(wc -c <"$dir/cvr.csv")" "$(wc -c <"$dir/ballots.json")"
printf '%-40s %-11s %9s %12s\n' binary format seconds "peak MiB"
for bin in "$@"; do
    for f in rctab-csv:cvr.csv rctab-json:ballots.json; do
        format=${f%%:*}
        file=$dir/${f#*:}
        # Best of three (page cache warm after the first).
        best=""
        for _ in 1 2 3; do
            /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" tally --method irv --format "$format" "$file" >"$dir/out"
            read -r secs kib <"$dir/time"
            if [ -z "$best" ] || [ "$(echo "$secs < ${best%% *}" | bc)" = 1 ]; then best="$secs $kib"; fi
        done
        secs=${best%% *}
        kib=${best#* }
        printf '%-40s %-11s %9s %12s   %s\n' "$bin" "$format" "$secs" "$((kib / 1024))" "$(grep -m1 Elected "$dir/out")"
    done
done
