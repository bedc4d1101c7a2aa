#!/usr/bin/env bash
# A sliced audit: the simulated fleet cut into 3 partitions with --limit, each audited by its own
# ansible-playbook process at the same time (as AWX job slicing runs them), each writing a partial
# report; audit_merge then writes the report, which must be the single run's apart from its time.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
INV="$SIM_DIR/inventory.yml"
SINGLE="$SIM_DIR/single"
SLICED="$SIM_DIR/sliced"
rm -rf "$SINGLE" "$SLICED"
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e "audit_report_dir=$SINGLE" "$@" \
  > "$SIM_DIR/single.log"

mapfile -t hosts < <(ansible-inventory -i "$INV" --graph mdev_hosts | sed -n 's/^ *|--//p' | sort)
[ "${#hosts[@]}" -ge 9 ]
pids=()
for slice in 0 1 2; do
  part=()
  for i in "${!hosts[@]}"; do [ $((i % 3)) -eq "$slice" ] && part+=("${hosts[$i]}"); done
  limit="$(IFS=,; echo "${part[*]}")"
  ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts --limit "$limit" \
    -e audit_partial=true -e "audit_slice=s$slice" -e "audit_report_dir=$SLICED" "$@" > "$SIM_DIR/slice$slice.log" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
ls "$SLICED"
[ "$(find "$SLICED" -name 'mdev-audit.partial-s*.json' | wc -l)" -eq 3 ]
[ ! -e "$SLICED/mdev-audit.json" ]

# A slice missing: the merge says so and writes nothing.
set +e
ansible-playbook vfio.mdev_migration.audit_merge -e "audit_report_dir=$SLICED" -e audit_slices=4 "$@" \
  > "$SIM_DIR/merge-missing.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
grep -q '3 partial report(s) found' "$SIM_DIR/merge-missing.log"
[ ! -e "$SLICED/mdev-audit.json" ]

ansible-playbook vfio.mdev_migration.audit_merge -e "audit_report_dir=$SLICED" -e audit_slices=3 "$@" \
  | tee "$SIM_DIR/merge.log"
python same_report.py "$SINGLE" "$SLICED"
# The merge removed the partial reports it merged: the next audit's slices, named anew as AWX
# names them (by job id), start from a clean directory and merge into the same report.
[ "$(find "$SLICED" -name 'mdev-audit.partial-*.json' | wc -l)" -eq 0 ]
for slice in 0 1 2; do
  part=()
  for i in "${!hosts[@]}"; do [ $((i % 3)) -eq "$slice" ] && part+=("${hosts[$i]}"); done
  ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts --limit "$(IFS=,; echo "${part[*]}")" \
    -e audit_partial=true -e "audit_slice=job10$slice" -e "audit_report_dir=$SLICED" "$@" > "$SIM_DIR/next$slice.log"
done
ansible-playbook vfio.mdev_migration.audit_merge -e "audit_report_dir=$SLICED" -e audit_slices=3 \
  -e audit_keep_partials=true "$@" > "$SIM_DIR/merge-next.log"
python same_report.py "$SINGLE" "$SLICED"
[ "$(find "$SLICED" -name 'mdev-audit.partial-job10*.json' | wc -l)" -eq 3 ]
# Kept, they are refused once they are older than max_spread beside a newer slice: a partial report
# left from an earlier audit is never merged as if it were current.
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts --limit "${hosts[0]}" \
  -e audit_partial=true -e audit_slice=late -e "audit_report_dir=$SLICED" "$@" > "$SIM_DIR/late.log"
python - "$SLICED/mdev-audit.partial-job100.json" <<'PY'
import json, sys
partial = json.load(open(sys.argv[1]))
partial["generated_at"] = "2020-01-01T00:00:00Z"
json.dump(partial, open(sys.argv[1], "w"))
PY
set +e
ansible-playbook vfio.mdev_migration.audit_merge -e "audit_report_dir=$SLICED" "$@" > "$SIM_DIR/merge-stale.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
grep -q "mdev-audit.partial-job100.json was written at 2020-01-01T00:00:00Z" "$SIM_DIR/merge-stale.log"
grep -q "more than max_spread=21600 s" "$SIM_DIR/merge-stale.log"
[ "$(find "$SLICED" -name 'mdev-audit.partial-*.json' | wc -l)" -eq 4 ]
