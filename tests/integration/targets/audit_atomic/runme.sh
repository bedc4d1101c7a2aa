#!/usr/bin/env bash
# Kill the audit at several points while it runs: every report file is always either the previous
# complete report or a new complete one, never half a file. The audited hosts alternate between
# runs so that every run has a different report to write (an unchanged report is not rewritten).
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
REPORT="$SIM_DIR/report"
audit() {
  ansible-playbook -i "$SIM_DIR/inventory.yml" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts \
    -e "audit_report_dir=$REPORT" "$@"
}
audit > "$SIM_DIR/first.log"
python check_complete.py "$REPORT" "$COLLECTION_ROOT/docs/report-schema.json"
# Each complete run rewrites every file: the second audit covers other hosts.
audit -e 'audit_hosts=mdev_hosts:!gpu-a1' > "$SIM_DIR/second.log"
grep -A 2 'Build the report' "$SIM_DIR/second.log" | grep -q '^changed:'
python check_complete.py "$REPORT" "$COLLECTION_ROOT/docs/report-schema.json"
hosts=mdev_hosts
for delay in 0.5 1 2 3 3.5 4 4.25 4.5 4.75 5 6; do
  if [ "$hosts" = mdev_hosts ]; then hosts='mdev_hosts:!gpu-a1'; else hosts=mdev_hosts; fi
  setsid bash -c 'exec "$@"' audit ansible-playbook -i "$SIM_DIR/inventory.yml" vfio.mdev_migration.audit \
    -e "audit_hosts=$hosts" -e "audit_report_dir=$REPORT" > "$SIM_DIR/killed-$delay.log" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  python check_complete.py "$REPORT" "$COLLECTION_ROOT/docs/report-schema.json"
done
ls -la "$REPORT"
