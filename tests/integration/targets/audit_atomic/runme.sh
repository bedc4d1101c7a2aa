#!/usr/bin/env bash
# Kill the audit at several points while it runs: every report file is always either the previous
# complete report or a new complete one, never half a file.
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
for delay in 0.5 1 2 3 3.5 4 4.25 4.5 4.75 5 6; do
  setsid bash -c 'exec "$@"' audit ansible-playbook -i "$SIM_DIR/inventory.yml" vfio.mdev_migration.audit \
    -e audit_hosts=mdev_hosts -e "audit_report_dir=$REPORT" > "$SIM_DIR/killed-$delay.log" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  python check_complete.py "$REPORT" "$COLLECTION_ROOT/docs/report-schema.json"
done
ls -la "$REPORT"
