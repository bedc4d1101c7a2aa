#!/usr/bin/env bash
# Benchmarks (not tests): every figure is a ratio measured side by side in one run, median of
# several runs. Prints Markdown tables; docs/benchmarks.md explains the method and keeps the
# latest figures. Needs root (FUSE, tmpfs, unshare) and mdevctl (installed here from Debian).
#   hacking/bench.sh            # all five cases
#   CASES="gather select" hacking/bench.sh
#   CASES=gather BEFORE=main hacking/bench.sh   # gather, with main's mdev_facts side by side
set -euo pipefail
# shellcheck source=hacking/lib.sh
. "$(dirname "$0")/lib.sh"

CASES="${CASES:-gather select gate audit evacuate}"
ensure_system_packages
command -v mdevctl >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mdevctl >/dev/null; }
make_venv 2.19 python3.11 "ansible-core>=2.19.0,<2.20"
VENV="$REPO/.venv-2.19"
export PATH="$VENV/bin:$PATH"
WORK="$(mktemp -d /tmp/mdev-bench.XXXXXX)"
cleanup() { "$REPO/tools/mdev-sim" down "$WORK/sim" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
dest="$(copy_collection "$WORK")"
export ANSIBLE_COLLECTIONS_PATH="$WORK" PYTHON="$VENV/bin/python"
BENCH="$dest/tests/benchmarks"
wants() { case " $CASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN {print $e - $s}"; }

if wants gather; then
  log "1. Gather at scale: mdev_facts vs mdevctl vs the floor"
  # BEFORE=<git revision>: that revision's mdev_facts is timed too, side by side.
  if [ -n "${BEFORE:-}" ]; then
    mkdir -p "$WORK/before/ansible_collections/vfio/mdev_migration"
    git -C "$REPO" archive "$BEFORE" | tar -C "$WORK/before/ansible_collections/vfio/mdev_migration" -xf -
    export BENCH_BEFORE="$WORK/before"
  fi
  BENCH_RUNS="${BENCH_RUNS:-7}" python "$BENCH/bench_gather.py"
fi

if wants select; then
  log "2. Selection at scale: migration_targets vs the Jinja a user would write"
  PYTHONPATH="$WORK" python "$BENCH/bench_selection.py" 1000 5000 10000
  PYTHONPATH="$WORK" python "$BENCH/make_fact_cache.py" 5000 "$WORK/cache5000"
  echo
  echo "In a playbook, 5,000 hosts from a jsonfile fact cache (one set_fact task):"
  ANSIBLE_CACHE_PLUGIN=jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION="$WORK/cache5000/facts" ANSIBLE_CACHE_PLUGIN_TIMEOUT=0 \
    ansible-playbook -i "$WORK/cache5000/inventory.ini" "$BENCH/select_from_cache.yml" | grep -o 'selected [^"]*'
fi

if wants gate; then
  GATE_HOSTS="${GATE_HOSTS:-200}" GATE_FORKS="${GATE_FORKS:-50}"
  log "3. Gate end to end on $GATE_HOSTS simulated hosts (--forks $GATE_FORKS) vs the ping floor"
  python "$dest/tests/integration/targets/gate_concurrency/make_fleet.py" "$WORK/fleet.yml" "$GATE_HOSTS"
  "$REPO/tools/mdev-sim" up "$WORK/fleet.yml" "$WORK/sim" >/dev/null
  "$REPO/tools/mdev-sim" inventory "$WORK/fleet.yml" "$WORK/sim" > "$WORK/inv.yml"
  ansible-playbook -i "$WORK/inv.yml" --forks "$GATE_FORKS" -e "probed_out=$WORK/probed.json" "$BENCH/gate_role.yml" >/dev/null
  echo "the gate probes $(python -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["bench_probed"]))' "$WORK/probed.json") of $GATE_HOSTS hosts; the floor pings the same ones"
  # The gate as an operator runs it (the collection's playbook, arguments checked once), the role
  # in a play of one's own (ansible-core checks its arguments on every host), and the floor.
  gate=(); role=(); floor=()
  for _ in $(seq "${GATE_ROUNDS:-3}"); do
    gate+=("$(seconds ansible-playbook -i "$WORK/inv.yml" --forks "$GATE_FORKS" vfio.mdev_migration.gate -e gate_source=h01)")
    role+=("$(seconds ansible-playbook -i "$WORK/inv.yml" --forks "$GATE_FORKS" "$BENCH/gate_role.yml")")
    floor+=("$(seconds ansible-playbook -i "$WORK/inv.yml" --forks "$GATE_FORKS" -e "@$WORK/probed.json" "$BENCH/gate_floor.yml")")
  done
  g=$(printf '%s\n' "${gate[@]}" | median); r=$(printf '%s\n' "${role[@]}" | median); f=$(printf '%s\n' "${floor[@]}" | median)
  echo "| hosts | forks | gate playbook (s) | role in a play (s) | ping floor (s) | playbook / floor | role / floor |"
  echo "|---|---|---|---|---|---|---|"
  printf '| %d | %d | %.2f | %.2f | %.2f | %.2fx | %.2fx |\n' "$GATE_HOSTS" "$GATE_FORKS" "$g" "$r" "$f" \
    "$(awk "BEGIN {print $g / $f}")" "$(awk "BEGIN {print $r / $f}")"
  "$REPO/tools/mdev-sim" down "$WORK/sim" >/dev/null
fi

if wants audit; then
  log "4. Audit from cached facts (no connection to any host) vs the floor: ansible-core reading the same cache"
  echo "Fleet: 2 parents x 16 types per host, a device on one type in ten, half the types with a version,"
  echo "one host in 500 with malformed facts, one in 250 not in the cache. 100,000 hosts take about 6 minutes and 3 GiB."
  echo "Medians of the rounds (seconds, and peak resident memory from /usr/bin/time):"
  echo "| hosts | audit (s) | floor (s) | time ratio | audit peak (MiB) | floor peak (MiB) | memory ratio | JSON report (MiB) |"
  echo "|---|---|---|---|---|---|---|---|"
  # Floor and audit in turn, AUDIT_ROUNDS times (default 3, one at 100,000 hosts), medians; the
  # report directory is emptied before each audit, so that no run compares with an earlier file.
  for n in ${AUDIT_SIZES:-1000 10000 100000}; do
    PYTHONPATH="$WORK" python "$BENCH/make_audit_cache.py" "$n" "$WORK/audit$n"
    rounds="${AUDIT_ROUNDS:-$([ "$n" -gt 10000 ] && echo 1 || echo 3)}"
    for _round in $(seq "$rounds"); do
      for play in audit_floor audit_from_cache; do
        rm -rf "$WORK/report$n"; mkdir -p "$WORK/report$n"
        /usr/bin/time -f "%e %M" -o "$WORK/run" env ANSIBLE_CACHE_PLUGIN=jsonfile \
          ANSIBLE_CACHE_PLUGIN_CONNECTION="$WORK/audit$n/facts" ANSIBLE_CACHE_PLUGIN_TIMEOUT=0 \
          ansible-playbook -i "$WORK/audit$n/inventory.ini" -e "report_dir=$WORK/report$n" "$BENCH/$play.yml" >/dev/null
        cat "$WORK/run" >> "$WORK/$play$n"
      done
    done
    ft=$(cut -d' ' -f1 "$WORK/audit_floor$n" | median); fm=$(cut -d' ' -f2 "$WORK/audit_floor$n" | median)
    at=$(cut -d' ' -f1 "$WORK/audit_from_cache$n" | median); am=$(cut -d' ' -f2 "$WORK/audit_from_cache$n" | median)
    echo "  $n hosts, $rounds round(s): floor $(tr '\n' ' ' < "$WORK/audit_floor$n")/ audit $(tr '\n' ' ' < "$WORK/audit_from_cache$n")" >&2
    size=$(stat -c %s "$WORK/report$n/mdev-audit.json")
    printf '| %d | %.1f | %.1f | %.2fx | %d | %d | %.1fx | %d |\n' "$n" "$at" "$ft" "$(awk "BEGIN {print $at / $ft}")" \
      "$((am / 1024))" "$((fm / 1024))" "$(awk "BEGIN {print $am / $fm}")" "$((size / 1048576))"
    rm -rf "$WORK/audit$n" "$WORK/report$n"
  done
fi

if wants evacuate; then
  log "5. Evacuation plan at scale: evacuation_plan vs one migration_targets pass"
  PYTHONPATH="$WORK" python "$BENCH/bench_evacuation.py" 100x1000 1000x10000
fi
