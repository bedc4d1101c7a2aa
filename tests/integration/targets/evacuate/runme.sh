#!/usr/bin/env bash
# Drain a simulated host end to end: the plan, --check (nothing written), a stop before any change
# when a VM has no target, then the moves with a migration task file that records what it is
# asked and fails for one VM, whose target mdev must be removed again.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$(pwd)/fleet.yml"
INV="$SIM_DIR/inventory.yml"
LOG="$SIM_DIR/write-log.jsonl"
RECORD="$SIM_DIR/migrations.jsonl"
MOVABLE="web01,cad01,render,fail01,late01"
creates() { grep -c -E '"path": "[^"]*/(create|remove)"' "$LOG" || true; }
exists() { test -e "$SIM_DIR/$1/sys/bus/mdev/devices/$2"; }
# (a function, not "! exists": set -e ignores a negated command)
absent() { ! test -e "$SIM_DIR/$1/sys/bus/mdev/devices/$2"; }
uuid() { echo "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e0$1"; }

# fails_with LOGFILE PATTERN... : the last playbook failed and printed every PATTERN.
fails_with() {
  local log="$1" status="$2"
  shift 2
  [ "$status" -ne 0 ] || { cat "$log"; echo "the playbook did not fail"; exit 1; }
  for pattern in "$@"; do
    grep -q -E "$pattern" "$log" || { cat "$log"; echo "no '$pattern' in $log"; exit 1; }
  done
}

# 1. The filter's plan, checked in a playbook.
ansible-playbook -i "$INV" plan.yml "$@"

# 2. Every VM by default: stuck has no target, so nothing is changed.
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.evacuate -e evacuate_host=src "$@" > "$SIM_DIR/all.log" 2>&1
status=$?
set -e
fails_with "$SIM_DIR/all.log" "$status" "1 VM\(s\) of src have no target: stuck" "Nothing was changed" \
  "\| render \| big \| "
[ "$(creates)" -eq 0 ] || { echo "a device was created or removed"; exit 1; }

# 3. --check: the plan printed, nothing written, no migration asked.
ansible-playbook -i "$INV" vfio.mdev_migration.evacuate -e evacuate_host=src -e "evacuate_vms=$MOVABLE" --check \
  -e "evacuate_plan_file=$SIM_DIR/plan-check.md" "$@" > "$SIM_DIR/check.log"
grep -q "| cad01 | small | probe |" "$SIM_DIR/check.log"
grep -q "Check mode: nothing was changed; 5 VM(s) would move." "$SIM_DIR/check.log"
[ "$(creates)" -eq 0 ] || { echo "check mode created or removed a device"; exit 1; }
[ ! -e "$RECORD" ]
[ ! -e "$SIM_DIR/plan-check.md" ]
# The same with check_mode on the play instead of --check.
ansible-playbook -i "$INV" check_play.yml -e "record_file=$RECORD" "$@" > "$SIM_DIR/check-play.log"
grep -q "Check mode: nothing was changed; 5 VM(s) would move." "$SIM_DIR/check-play.log"
[ "$(creates)" -eq 0 ] || { echo "a play in check mode created or removed a device"; exit 1; }
[ ! -e "$RECORD" ]

# 4. The moves: fail01's migration fails.
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.evacuate -e evacuate_host=src -e "evacuate_vms=$MOVABLE" \
  -e "evacuate_migration_tasks=$(pwd)/record_migration.yml" -e "record_file=$RECORD" -e '{"fail_vms": ["fail01", "late01"], "late_vms": ["late01"]}' \
  -e evacuate_remove_source_devices=true -e "evacuate_plan_file=$SIM_DIR/plan.md" "$@" > "$SIM_DIR/move.log" 2>&1
status=$?
set -e
fails_with "$SIM_DIR/move.log" "$status" "Moved 3 VM\(s\): render, cad01, web01\." \
  "fail01 did not move: migration of fail01 to big failed \(simulated\); the target mdevs this run created were removed again" \
  "late01 did not move: migration of late01 to big failed \(simulated\); libvirt on the target could not say that it does not run there, so the target mdevs this run created were kept: running" \
  "2 VM\(s\) did not move: fail01, late01"
# Asked in plan order, each to its planned target, with the target's libvirt URI.
python - "$RECORD" <<'PY'
import json, sys
asked = [json.loads(line) for line in open(sys.argv[1])]
assert [(a["vm"], a["target"]) for a in asked] == [
    ("render", "big"), ("cad01", "small"), ("fail01", "big"), ("late01", "big"), ("web01", "big")], asked
assert all(a["source"] == "src" and a["uri"] == "qemu+ssh://%s/system" % a["target"] for a in asked), asked
PY
# Target mdevs with the same UUIDs on the planned parents; fail01's removed again.
for n in 1 3; do exists big "$(uuid "$n")"; done
exists big "$(uuid 4)"
exists small "$(uuid 2)"
absent big "$(uuid 5)"
absent small "$(uuid 5)"
# ... after it was created there: the write log has its create and its remove on big.
grep "$(uuid 5)" "$LOG" | grep '"host": "big"' | grep -q '/create"'
grep '"host": "big"' "$LOG" | grep -q "/$(uuid 5)/remove\"" 
# web01's vGPU was defined start: auto on src: so it is on big; cad01's was transient: not defined.
grep -q '"start": "auto"' "$SIM_DIR/big/etc/mdevctl.d/0000:3b:00.0/$(uuid 1)"
[ ! -e "$SIM_DIR/small/etc/mdevctl.d/0000:3b:00.0/$(uuid 2)" ]
[ -z "$(find "$SIM_DIR/big/etc/mdevctl.d" -name "$(uuid 5)")" ]
# late01 runs on big after all: its mdev there is kept.
exists big "$(uuid 7)"
# Moved VMs' source mdevs (and web01's definition) removed; fail01's and late01's kept.
for n in 1 2 3 4; do absent src "$(uuid "$n")"; done
exists src "$(uuid 5)"
exists src "$(uuid 7)"
[ ! -e "$SIM_DIR/src/etc/mdevctl.d/0000:3b:00.0/$(uuid 1)" ]
grep -q "| web01 | big | probe |" "$SIM_DIR/plan.md"
