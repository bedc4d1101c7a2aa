#!/usr/bin/env bash
# fleet_audit end to end on the simulated example fleet: report content, JSON schema, the HTML
# page used in headless Chromium, check mode, idempotence, and a failed run that leaves the
# previous report intact.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
INV="$SIM_DIR/inventory.yml"
REPORT="$SIM_DIR/report"
rm -rf "$REPORT"
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e audit_probe=true \
  -e "audit_report_dir=$REPORT" "$@"
python check_report.py "$REPORT/mdev-audit.json" "$COLLECTION_ROOT/docs/report-schema.json" "$REPORT/mdev-audit.md"

# The HTML page, opened in headless Chromium and used: pictures, sorting, filtering; a screenshot
# is kept in tests/output/data/.
ARTIFACTS="$COLLECTION_ROOT/tests/output/data/role_fleet_audit"
mkdir -p "$ARTIFACTS"
python check_html.py "$REPORT/mdev-audit.html" "$REPORT/mdev-audit.json" "$ARTIFACTS/mdev-audit.png"

# Check mode writes nothing; a second run of an unchanged fleet is not a change.
touch -d '2001-01-01' "$REPORT"/mdev-audit.*
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e audit_probe=true \
  -e "audit_report_dir=$REPORT" --check --diff "$@" | tee "$SIM_DIR/check-run.log"
[ -z "$(find "$REPORT" -type f -newermt '2001-01-02')" ]
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e audit_probe=true \
  -e "audit_report_dir=$REPORT" "$@" | tee "$SIM_DIR/second-run.log"
grep -A 2 'Build the report' "$SIM_DIR/second-run.log" | grep -q '^ok:'
[ -z "$(find "$REPORT" -type f -newermt '2001-01-02')" ]

# A run that fails leaves the previous report as it was.
sha256sum "$REPORT"/mdev-audit.* > "$SIM_DIR/before.sha"
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e "audit_report_dir=$REPORT" \
  -e '{"fleet_audit_formats": ["pdf"]}' > "$SIM_DIR/failed-run.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
sha256sum -c "$SIM_DIR/before.sha"

# Check mode on a fleet that changed: the task says changed and writes nothing.
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e 'audit_hosts=mdev_hosts:!gpu-a1' \
  -e "audit_report_dir=$REPORT" --check "$@" > "$SIM_DIR/check-changed.log"
grep -A 2 'Build the report' "$SIM_DIR/check-changed.log" | grep -q '^changed:'
sha256sum -c "$SIM_DIR/before.sha"
