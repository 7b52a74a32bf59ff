#!/usr/bin/env bash
# Benchmark wmihunt against the full-parse baseline `evtx_dump` on generated EVTX corpora.
#
#   scripts/bench.sh            full run (64 MiB .. 2 GiB, 5 repetitions; ~15-20 min on 2 cores)
#   QUICK=1 scripts/bench.sh    smoke run (16 and 64 MiB, 1 repetition; ~1 min)
#
# Environment:
#   BENCH_OUT=DIR  where corpora, binaries and results go (default: <repo>/bench-out)
#   REPS=N         timed repetitions per corpus and configuration (default 5; QUICK: 1)
#   REPS_BIG=N     repetitions for corpora of 2 GiB and more (default: REPS; lower it if a
#                  slower build pushes the full run past ~40 min)
#   KEEP=1         keep the generated corpora (default: delete them at the end)
#   QUIET_CORES=X  before each timed run, wait until other processes use less than X cores
#                  (default 0.3), for at most QUIET_MAX s (default 120) per run and QUIET_BUDGET s
#                  (default 900) in all; a run during which others used more than 0.5 cores is
#                  repeated, up to RETRIES (default 2) times. On a shared machine (builds, fuzzers)
#                  this keeps most measurements clean; the report says how many were not.
#
# What it does (see docs/performance.md): builds release binaries and copies them aside (so a
# concurrent `cargo build` cannot swap them mid-run), installs `evtx_dump` if missing, generates
# deterministic corpora with `cargo xtask corpus`, then for each corpus runs one untimed
# warm-up (so every timed run reads from the page cache; dropping the cache is not possible
# here) and REPS rounds in which every configuration runs once, side by side. It records wall
# time, user+system CPU time and peak RSS (/usr/bin/time), and the CPU that other processes
# used meanwhile (from /proc/stat), and prints Markdown tables of the medians.
#
# Every wmihunt run is checked: its sorted NDJSON must equal that of every other wmihunt run on
# the corpus (pre-filter on or off, 1 or 2 threads), and its findings must be exactly the
# generator's true positives. The warm-up also checks that evtx_dump reads every record. Any
# mismatch stops the benchmark with exit code 1.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench-out}
QUICK=${QUICK:-0}
KEEP=${KEEP:-0}
if [[ $QUICK == 1 ]]; then
    REPS=${REPS:-1}
else
    REPS=${REPS:-5}
fi
REPS_BIG=${REPS_BIG:-$REPS}
QUIET_CORES=${QUIET_CORES:-0.3}
QUIET_MAX=${QUIET_MAX:-120}
QUIET_BUDGET=${QUIET_BUDGET:-900}
RETRIES=${RETRIES:-2}
# Other processes' load above which a run is repeated (runs under 0.25 s are too short to tell).
BUSY_CORES=0.5
WAITED=0
REPEATED=0
BIG_MIB=2048

BIN=$OUT/bin
CORPORA=$OUT/corpora
RUNS=$OUT/runs
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW=$OUT/raw-$STAMP.tsv
REPORT=$OUT/results-$STAMP.md
HZ=$(getconf CLK_TCK)

log() { echo "bench: $*" >&2; }
die() {
    echo "bench: FAIL: $*" >&2
    exit 1
}

# --- corpora --------------------------------------------------------------------------------
# name kind size_mib files. Roles below name the corpora each target is computed on.
if [[ $QUICK == 1 ]]; then
    SPECS=(
        "sysmon-16M sysmon 16 1"
        "sysmon-64M sysmon 64 1"
        "sysmon30-16M sysmon30 16 1"
        "security-16M security 16 1"
        "folder-100x-16M sysmon 16 100"
    )
    LINEAR=(sysmon-16M sysmon-64M)
    REALISTIC=sysmon-64M
    DENSE=sysmon30-16M
    NONSYSMON=security-16M
    FOLDER=folder-100x-16M
    FOLDER_PEER=sysmon-16M
    THREADS=sysmon-64M
else
    SPECS=(
        "sysmon-64M sysmon 64 1"
        "sysmon-256M sysmon 256 1"
        "sysmon-1G sysmon 1024 1"
        "sysmon-2G sysmon 2048 1"
        "sysmon30-256M sysmon30 256 1"
        "security-256M security 256 1"
        "folder-2000x-256M sysmon 256 2000"
    )
    LINEAR=(sysmon-64M sysmon-256M sysmon-1G sysmon-2G)
    REALISTIC=sysmon-1G
    DENSE=sysmon30-256M
    NONSYSMON=security-256M
    FOLDER=folder-2000x-256M
    FOLDER_PEER=sysmon-256M
    THREADS=sysmon-1G
fi

# Configurations, in the order each round runs them.
CONFIGS=(wmihunt-j1 wmihunt-j2 nopf-j1 nopf-j2 evtx_dump-t1 evtx_dump-t2)

declare -A C_PATH C_FILES C_BYTES C_RECORDS C_CHUNKS C_WMI C_PCT C_TP C_MIB C_KIND

# --- setup ----------------------------------------------------------------------------------

check_tools() {
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
    command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
}

build() {
    log "building release binaries"
    (cd "$ROOT" && cargo build --release --quiet -p wmihunt -p xtask) ||
        die "cargo build failed"
    mkdir -p "$BIN"
    cp "$ROOT/target/release/wmihunt" "$BIN/wmihunt"
    cp "$ROOT/target/release/xtask" "$BIN/xtask"
    WMIHUNT=$BIN/wmihunt
    GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
    GIT_DIRTY=$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    # Builds that have the second pass (execution check) also get measured without it, so the
    # table shows what that pass costs.
    if "$WMIHUNT" scan --help 2>/dev/null | grep -q -- --no-execution-check; then
        CONFIGS=(wmihunt-j1 wmihunt-j2 noexec-j2 nopf-j1 nopf-j2 evtx_dump-t1 evtx_dump-t2)
    fi
}

baseline() {
    BASELINE=1
    INSTALL_NOTE="already installed"
    if ! command -v evtx_dump >/dev/null; then
        log "installing the baseline: cargo install evtx --locked"
        local t0=$SECONDS
        if cargo install evtx --locked >"$OUT/evtx-install.log" 2>&1; then
            INSTALL_NOTE="installed by this run in $((SECONDS - t0)) s"
        else
            log "could not install evtx_dump (see $OUT/evtx-install.log); skipping the baseline"
            BASELINE=0
            INSTALL_NOTE="install failed"
        fi
    fi
    if [[ $BASELINE == 1 ]] && ! command -v evtx_dump >/dev/null; then
        log "evtx_dump is not on PATH after installing; skipping the baseline"
        BASELINE=0
    fi
    EVTX_DUMP_VERSION=n/a
    if [[ $BASELINE == 1 ]]; then
        EVTX_DUMP_VERSION=$(evtx_dump --version 2>/dev/null | head -1)
    else
        local kept=() config
        for config in "${CONFIGS[@]}"; do
            [[ $config == evtx_dump-* ]] || kept+=("$config")
        done
        CONFIGS=("${kept[@]}")
    fi
}

check_disk() {
    local need=0 spec
    for spec in "${SPECS[@]}"; do
        read -r _ _ mib _ <<<"$spec"
        need=$((need + mib))
    done
    need=$((need + need / 10 + 256))
    local avail
    avail=$(df --output=avail -BM "$OUT" | tail -1 | tr -dc 0-9)
    log "corpora need ~${need} MiB, ${avail} MiB free on $(df --output=target "$OUT" | tail -1)"
    ((avail > need)) || die "not enough free disk space in $OUT"
}

# Reads `key=value` pairs from the generator's last line into the C_* maps.
generate() {
    local name=$1 kind=$2 mib=$3 files=$4
    local path=$CORPORA/$name
    [[ $files == 1 ]] && path=$path.evtx
    rm -rf "$path"
    local line
    line=$("$BIN/xtask" corpus --kind "$kind" --size-mib "$mib" --files "$files" \
        --truth "$CORPORA/$name.truth.tsv" "$path" 2>>"$OUT/generate.log" | tail -1) ||
        die "generating $name failed (see $OUT/generate.log)"
    local kv
    for kv in $line; do
        case $kv in
        files=*) C_FILES[$name]=${kv#*=} ;;
        bytes=*) C_BYTES[$name]=${kv#*=} ;;
        records=*) C_RECORDS[$name]=${kv#*=} ;;
        chunks=*) C_CHUNKS[$name]=${kv#*=} ;;
        wmi_chunks=*) C_WMI[$name]=${kv#*=} ;;
        wmi_chunk_pct=*) C_PCT[$name]=${kv#*=} ;;
        true_positives=*) C_TP[$name]=${kv#*=} ;;
        esac
    done
    C_PATH[$name]=$path
    C_MIB[$name]=$mib
    C_KIND[$name]=$kind
    log "generated $name: ${C_FILES[$name]} file(s), ${C_RECORDS[$name]} records, ${C_PCT[$name]}% of ${C_CHUNKS[$name]} chunks name WmiPrvSE.exe, ${C_TP[$name]} true positives"
}

# --- running --------------------------------------------------------------------------------

# The command line of a configuration on a corpus (stdout is redirected by the caller).
command_for() {
    local config=$1 path=$2
    case $config in
    wmihunt-j*) echo "$WMIHUNT scan $path --format ndjson --no-progress -q -j ${config#wmihunt-j}" ;;
    nopf-j*) echo "$WMIHUNT scan $path --format ndjson --no-progress -q -j ${config#nopf-j} --no-prefilter" ;;
    noexec-j*) echo "$WMIHUNT scan $path --format ndjson --no-progress -q -j ${config#noexec-j} --no-execution-check" ;;
    evtx_dump-t*)
        local t=${config#evtx_dump-t}
        if [[ -d $path ]]; then
            # evtx_dump reads one file per run: one run per file, as a user would script it.
            echo "sh -c 'find \"$path\" -type f -name \"*.evtx\" -print0 | sort -z | xargs -0 -n1 evtx_dump -o jsonl -t $t'"
        else
            echo "evtx_dump -o jsonl -t $t $path"
        fi
        ;;
    esac
}

# Busy CPU ticks of the whole machine so far.
busy_ticks() {
    local _cpu user nice system _idle _iowait irq softirq steal _rest
    read -r _cpu user nice system _idle _iowait irq softirq steal _rest </proc/stat
    echo $((user + nice + system + irq + softirq + steal))
}

# Runs one configuration once; appends a line to $RAW; leaves wmihunt's stdout in $3.
run_once() {
    local name=$1 config=$2 out=$3 rep=$4
    local cmd timef=$RUNS/time.txt errf=$RUNS/stderr.txt
    cmd=$(command_for "$config" "${C_PATH[$name]}")
    local b0 b1 t0 t1
    b0=$(busy_ticks)
    t0=$(date +%s%N)
    local rc=0
    eval "/usr/bin/time -f '%M %U %S' -o '$timef' $cmd" >"$out" 2>"$errf" || rc=$?
    t1=$(date +%s%N)
    b1=$(busy_ticks)
    # wmihunt exits 2 when some evidence could not be read: never expected here.
    ((rc == 0)) || die "$name $config exited with $rc: $(tail -3 "$errf")"
    local rss_kb user sys
    read -r rss_kb user sys <"$timef"
    awk -v n="$name" -v c="$config" -v r="$rep" -v t0="$t0" -v t1="$t1" -v rss="$rss_kb" \
        -v u="$user" -v s="$sys" -v b="$((b1 - b0))" -v hz="$HZ" -v f="$(findings_in "$config" "$out")" \
        'BEGIN {
            wall = (t1 - t0) / 1e9; cpu = u + s; other = b / hz - cpu; if (other < 0) other = 0
            printf "%s\t%s\t%s\t%.4f\t%d\t%.2f\t%s\t%.2f\n", n, c, r, wall, rss, cpu, f, other / wall
        }' >>"$RAW"
}

# Cores that other processes use, measured over one second in which nothing of ours runs.
other_cores_now() {
    local b0 b1
    b0=$(busy_ticks)
    sleep 1
    b1=$(busy_ticks)
    awk -v b=$((b1 - b0)) -v hz="$HZ" 'BEGIN { printf "%.2f", b / hz }'
}

# Waits (within the per-run and total budgets) until other processes leave the CPUs alone.
wait_quiet() {
    local started=$SECONDS load
    while :; do
        load=$(other_cores_now)
        awk -v l="$load" -v q="$QUIET_CORES" 'BEGIN { exit !(l < q) }' && break
        if ((SECONDS - started >= QUIET_MAX || WAITED + SECONDS - started >= QUIET_BUDGET)); then
            log "other processes still use $load cores; measuring anyway"
            break
        fi
        sleep 4
    done
    WAITED=$((WAITED + SECONDS - started))
}

# One timed run on a quiet machine, repeated if other processes got busy during it.
run_measured() {
    local name=$1 config=$2 out=$3 rep=$4 try busy
    for ((try = 0; ; try++)); do
        wait_quiet
        run_once "$name" "$config" "$out" "$rep"
        busy=$(tail -1 "$RAW" | awk -F'\t' -v b="$BUSY_CORES" '{ print ($4 >= 0.25 && $8 > b) ? 1 : 0 }')
        ((busy == 0 || try >= RETRIES)) && break
        log "$name $config: other processes used $(tail -1 "$RAW" | cut -f8) cores during the run; repeating it"
        sed -i '$ d' "$RAW"
        REPEATED=$((REPEATED + 1))
    done
}

findings_in() {
    case $1 in
    evtx_dump-*) echo - ;;
    *) wc -l <"$2" | tr -d ' ' ;;
    esac
}

# Checks a wmihunt run's output against the corpus' reference and true positives. Runs without
# the execution check have their own reference (their findings lack its result).
verify_wmihunt() {
    local name=$1 config=$2 out=$3 family=default
    [[ $config == noexec-* ]] && family=noexec
    local sorted=$RUNS/$name.$config.sorted reference=$RUNS/$name.reference.$family
    sort "$out" >"$sorted"
    if [[ ! -f $reference ]]; then
        cp "$sorted" "$reference"
        local got want=$RUNS/$name.truth.sorted
        got=$(jq -r '[(.source_path | split("/") | last), .record_id, .target_object] | map(tostring) | join("\t")' "$sorted" | sort)
        sort "$CORPORA/$name.truth.tsv" >"$want"
        if [[ $got != "$(cat "$want")" ]]; then
            diff <(echo "$got") "$want" | head -20 >&2 || true
            die "$name: $config findings differ from the generator's ${C_TP[$name]} true positives"
        fi
    elif ! cmp -s "$sorted" "$reference"; then
        diff "$sorted" "$reference" | head -10 >&2 || true
        die "$name: $config output differs from the other wmihunt runs"
    fi
}

# evtx_dump must render every record; also loads the corpus into the page cache.
verify_baseline() {
    local name=$1 cmd lines
    cmd=$(command_for evtx_dump-t2 "${C_PATH[$name]}")
    lines=$(eval "$cmd" 2>"$RUNS/evtx_dump.err" | wc -l)
    [[ $lines == "${C_RECORDS[$name]}" ]] ||
        die "$name: evtx_dump printed $lines records, the generator wrote ${C_RECORDS[$name]}"
}

measure() {
    local name=$1 reps=$REPS
    ((C_MIB[$name] >= BIG_MIB && REPS_BIG < REPS)) && reps=$REPS_BIG
    rm -f "$RUNS/$name".*
    log "$name: warm-up"
    local out=$RUNS/out.ndjson
    eval "$(command_for wmihunt-j2 "${C_PATH[$name]}")" >"$out" 2>"$RUNS/stderr.txt" ||
        die "$name: warm-up wmihunt run failed: $(tail -3 "$RUNS/stderr.txt")"
    verify_wmihunt "$name" warmup "$out"
    [[ $BASELINE == 1 ]] && verify_baseline "$name"
    local rep config
    for ((rep = 1; rep <= reps; rep++)); do
        log "$name: round $rep of $reps"
        for config in "${CONFIGS[@]}"; do
            case $config in
            evtx_dump-*) run_measured "$name" "$config" /dev/null "$rep" ;;
            *)
                run_measured "$name" "$config" "$out" "$rep"
                verify_wmihunt "$name" "$config" "$out"
                ;;
            esac
        done
    done
}

# --- reporting ------------------------------------------------------------------------------

# Median of column $3 (1-based) for corpus $1 and config $2.
median() {
    awk -F'\t' -v n="$1" -v c="$2" -v col="$3" '$1 == n && $2 == c { print $col }' "$RAW" |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "nan"; exit }
            if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

maximum() {
    awk -F'\t' -v n="$1" -v c="$2" -v col="$3" '$1 == n && $2 == c { if ($col > m) m = $col } END { print m + 0 }' "$RAW"
}

reps_of() {
    awk -F'\t' -v n="$1" -v c="$2" '$1 == n && $2 == c' "$RAW" | wc -l | tr -d ' '
}

# x / y with 2 decimals, or n/a.
ratio() {
    awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0 && x == x + 0) printf "%.2f", x / y; else print "n/a" }'
}

mbps() { awk -v b="${C_BYTES[$1]}" -v w="$(median "$1" "$2" 4)" 'BEGIN { printf "%.0f", b / w / 1e6 }'; }

label() {
    case $1 in
    wmihunt-j1) echo "wmihunt -j1" ;;
    wmihunt-j2) echo "wmihunt -j2" ;;
    noexec-j2) echo "wmihunt -j2 --no-execution-check" ;;
    nopf-j1) echo "wmihunt -j1 --no-prefilter" ;;
    nopf-j2) echo "wmihunt -j2 --no-prefilter" ;;
    evtx_dump-t1) echo "evtx_dump -t 1" ;;
    evtx_dump-t2) echo "evtx_dump -t 2" ;;
    esac
}

verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v != v + 0) { print "n/a"; exit }
    ok = (op == ">=") ? v >= t : v < t; print ok ? "PASS" : "FAIL" }'; }

report() {
    {
        echo "## Results ($STAMP)"
        echo
        echo "- wmihunt: commit $GIT_REV$([[ $GIT_DIRTY != 0 ]] && echo " plus $GIT_DIRTY uncommitted change(s) in src/ or Cargo.*"); baseline: ${EVTX_DUMP_VERSION} (${INSTALL_NOTE})"
        echo "- machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')$(grep -q '^flags.* hypervisor' /proc/cpuinfo && echo " (virtual machine)"), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r)"
        local rounds="$REPS timed rounds"
        ((REPS_BIG != REPS)) && rounds="$rounds ($REPS_BIG for corpora of 2 GiB and more)"
        echo "- medians of $rounds after one warm-up run per corpus; MB = 10^6 bytes; peak RSS is the largest of the rounds; other CPU = cores used by other processes during the runs (median)"
        local dirty
        dirty=$(awk -F'\t' -v b="$BUSY_CORES" 'NR > 1 && $4 >= 0.25 && $8 > b' "$RAW" | wc -l | tr -d ' ')
        echo "- shared machine: each run waited for other processes to use < $QUIET_CORES cores (${WAITED} s of waiting in all); $REPEATED run(s) were repeated because others used > $BUSY_CORES cores during them; $dirty of the $(($(wc -l <"$RAW") - 1)) kept runs still had such load"
        echo
        echo "### Corpora"
        echo
        echo "| corpus | kind | files | bytes | records | chunks | chunks naming WmiPrvSE.exe | true positives |"
        echo "|---|---|--:|--:|--:|--:|--:|--:|"
        local spec name
        for spec in "${SPECS[@]}"; do
            read -r name _ _ _ <<<"$spec"
            echo "| $name | ${C_KIND[$name]} | ${C_FILES[$name]} | ${C_BYTES[$name]} | ${C_RECORDS[$name]} | ${C_CHUNKS[$name]} | ${C_WMI[$name]} (${C_PCT[$name]}%) | ${C_TP[$name]} |"
        done
        echo
        echo "### Measurements"
        echo
        echo "| corpus | tool | runs | wall s | MB/s | records/s | CPU s | peak RSS MiB | findings | other CPU | vs evtx_dump -t 2 |"
        echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        local config wall base
        for spec in "${SPECS[@]}"; do
            read -r name _ _ _ <<<"$spec"
            base=$(median "$name" evtx_dump-t2 4)
            for config in "${CONFIGS[@]}"; do
                wall=$(median "$name" "$config" 4)
                local speedup=n/a
                [[ $BASELINE == 1 ]] && speedup="$(ratio "$base" "$wall")×"
                awk -v n="$name" -v l="$(label "$config")" -v k="$(reps_of "$name" "$config")" \
                    -v w="$wall" -v b="${C_BYTES[$name]}" -v r="${C_RECORDS[$name]}" \
                    -v cpu="$(median "$name" "$config" 6)" -v rss="$(maximum "$name" "$config" 5)" \
                    -v f="$(median "$name" "$config" 7)" -v o="$(median "$name" "$config" 8)" -v s="$speedup" \
                    'BEGIN { printf "| %s | %s | %d | %.3f | %.0f | %.0f | %.2f | %.1f | %s | %.2f | %s |\n",
                        n, l, k, w, b / w / 1e6, r / w, cpu, rss / 1024, f, o, s }'
            done
        done
        echo
        echo "### Targets (wmihunt default mode: pre-filter on)"
        echo
        echo "| target | measured | result |"
        echo "|---|---|---|"
        local v
        if [[ $BASELINE == 1 ]]; then
            v=$(ratio "$(median $REALISTIC evtx_dump-t2 4)" "$(median $REALISTIC wmihunt-j2 4)")
            echo "| wmihunt ≥ 3× evtx_dump, 2 threads, realistic Sysmon ($REALISTIC) | ${v}× | $(verdict "$v" ">=" 3) |"
            for name in "${LINEAR[@]}"; do
                [[ $name == "$REALISTIC" ]] && continue
                v=$(ratio "$(median "$name" evtx_dump-t2 4)" "$(median "$name" wmihunt-j2 4)")
                echo "| same, $name | ${v}× | $(verdict "$v" ">=" 3) |"
            done
            v=$(ratio "$(median $DENSE evtx_dump-t2 4)" "$(median $DENSE wmihunt-j2 4)")
            echo "| wmihunt ≥ 2× evtx_dump, 2 threads, 30% corpus ($DENSE) | ${v}× | $(verdict "$v" ">=" 2) |"
            v=$(ratio "$(median $NONSYSMON evtx_dump-t2 4)" "$(median $NONSYSMON wmihunt-j2 4)")
            echo "| wmihunt ≥ 5× evtx_dump, 2 threads, non-Sysmon ($NONSYSMON) | ${v}× | $(verdict "$v" ">=" 5) |"
        fi
        v=$(ratio "$(mbps $FOLDER wmihunt-j2)" "$(mbps $FOLDER_PEER wmihunt-j2)")
        echo "| folder of small files ≥ 0.5 × MB/s of one file of the same size ($FOLDER vs $FOLDER_PEER, -j2) | $(mbps $FOLDER wmihunt-j2) vs $(mbps $FOLDER_PEER wmihunt-j2) MB/s = ${v} | $(verdict "$v" ">=" 0.5) |"
        v=$(ratio "$(median $THREADS wmihunt-j1 4)" "$(median $THREADS wmihunt-j2 4)")
        echo "| 2 threads ≥ 1.8 × 1 thread ($THREADS) | ${v}× | $(verdict "$v" ">=" 1.8) |"
        local lo=0 hi=0 rates="" rate
        for name in "${LINEAR[@]}"; do
            rate=$(mbps "$name" wmihunt-j2)
            rates="$rates ${name}: $rate,"
            ((lo == 0 || rate < lo)) && lo=$rate
            ((rate > hi)) && hi=$rate
        done
        v=$(ratio "$lo" "$hi")
        echo "| MB/s within 15% across sizes (slowest / fastest ≥ 0.85, -j2) |${rates%,} MB/s; ratio $v | $(verdict "$v" ">=" 0.85) |"
        local rss=0 r
        for spec in "${SPECS[@]}"; do
            read -r name _ _ _ <<<"$spec"
            for config in "${CONFIGS[@]}"; do
                [[ $config == evtx_dump-* ]] && continue
                r=$(maximum "$name" "$config" 5)
                ((r > rss)) && rss=$r
            done
        done
        v=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
        echo "| peak RSS < 200 MiB, every corpus and mode | ${v} MiB | $(verdict "$v" "<" 200) |"
        echo
        echo "Every wmihunt run printed the same findings with and without the pre-filter, and exactly the generator's true positives."
        if [[ " ${CONFIGS[*]} " == *" noexec-j2 "* ]]; then
            echo
            local parts=()
            for spec in "${SPECS[@]}"; do
                read -r name _ _ _ <<<"$spec"
                parts+=("$name $(mbps "$name" noexec-j2) MB/s ($(ratio "$(median "$name" evtx_dump-t2 4)" "$(median "$name" noexec-j2 4)")× evtx_dump -t 2)")
            done
            local joined
            joined=$(printf '%s; ' "${parts[@]}")
            echo "Without the execution check (the second pass, \`--no-execution-check\`), -j2: ${joined%; }."
        fi
    } | tee "$REPORT"
    log "report: $REPORT; raw measurements: $RAW"
}

cleanup() {
    if [[ $KEEP != 1 && -n ${CORPORA:-} && -d $CORPORA ]]; then
        rm -rf "$CORPORA" "$RUNS"
    fi
}

main() {
    check_tools
    mkdir -p "$OUT" "$CORPORA" "$RUNS"
    trap cleanup EXIT
    local started=$SECONDS
    build
    baseline
    check_disk
    local spec
    for spec in "${SPECS[@]}"; do
        # shellcheck disable=SC2086
        generate $spec
    done
    # Write the corpora out now: otherwise the kernel flushes gigabytes of dirty pages while
    # the first corpora are timed, and those runs come out slower.
    log "flushing the corpora to disk"
    sync
    printf 'corpus\tconfig\trep\twall_s\tpeak_rss_kb\tcpu_s\tfindings\tother_cpu\n' >"$RAW"
    log "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
    for spec in "${SPECS[@]}"; do
        read -r name _ _ _ <<<"$spec"
        measure "$name"
    done
    log "load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
    report
    log "total time $((SECONDS - started)) s"
}

main "$@"
