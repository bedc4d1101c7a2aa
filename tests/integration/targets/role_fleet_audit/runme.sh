#!/usr/bin/env bash
# fleet_audit end to end on the simulated example fleet: report content, JSON schema, the HTML
# page rendered by headless Chromium, and a failed run that leaves the previous report intact.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
INV="$SIM_DIR/inventory.yml"
REPORT="$SIM_DIR/report"
rm -rf "$REPORT"
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e audit_probe=true \
  -e "audit_report_dir=$REPORT" "$@"
python check_report.py "$REPORT/mdev-audit.json" "$COLLECTION_ROOT/docs/report-schema.json" "$REPORT/mdev-audit.md"

# The HTML page renders in Chromium with no network, and shows the tables.
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$CHROMIUM" ]; then
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$SIM_DIR/chromium" --dump-dom "file://$REPORT/mdev-audit.html" > "$SIM_DIR/dom.html" \
    2> "$SIM_DIR/chromium.log"
  python check_html.py "$SIM_DIR/dom.html"
else
  echo "chromium is not installed: the HTML rendering check needs it" >&2
  exit 1
fi

# A run that fails leaves the previous report as it was.
sha256sum "$REPORT"/mdev-audit.* > "$SIM_DIR/before.sha"
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts -e "audit_report_dir=$REPORT" \
  -e '{"fleet_audit_formats": ["pdf"]}' > "$SIM_DIR/failed-run.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
sha256sum -c "$SIM_DIR/before.sha"
