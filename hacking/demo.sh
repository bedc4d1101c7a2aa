#!/usr/bin/env bash
# The demo: a simulated fleet of KVM hosts with vGPUs (no GPU needed), an audit report of the
# fleet, a gate decision for migrating one VM, and the evacuation plan of one host. Installs
# what it needs on a fresh machine.
set -euo pipefail
# shellcheck source=hacking/lib.sh
. "$(dirname "$0")/lib.sh"

DEMO="$REPO/.demo"
ensure_system_packages
make_venv 2.19 python3.11 "ansible-core>=2.19.0,<2.20"
VENV="$REPO/.venv-2.19"
export PATH="$VENV/bin:$PATH"

log "Building and installing the collection"
rm -rf "$DEMO/collections" "$DEMO/build"
mkdir -p "$DEMO/build"
ansible-galaxy collection build "$REPO" --output-path "$DEMO/build" --force >/dev/null
ansible-galaxy collection install "$DEMO"/build/vfio-mdev_migration-*.tar.gz -p "$DEMO/collections" --force >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$DEMO/collections"
INSTALLED="$DEMO/collections/ansible_collections/vfio/mdev_migration"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-}" ANSIBLE_HOST_KEY_CHECKING=false

log "Mounting the simulated fleet ($INSTALLED/tools/fleets/example.yml)"
SIM="$DEMO/sim"
export PYTHON="$VENV/bin/python"
"$INSTALLED/tools/mdev-sim" down "$SIM" 2>/dev/null || true
trap '"$INSTALLED/tools/mdev-sim" down "$SIM"' EXIT
"$INSTALLED/tools/mdev-sim" up "$INSTALLED/tools/fleets/example.yml" "$SIM"
"$INSTALLED/tools/mdev-sim" inventory "$INSTALLED/tools/fleets/example.yml" "$SIM" > "$SIM/inventory.yml"

log "Auditing the fleet (with write probes)"
ansible-playbook vfio.mdev_migration.audit -i "$SIM/inventory.yml" \
  -e audit_hosts=mdev_hosts -e audit_probe=true -e "audit_report_dir=$DEMO/report"

log "Gating the live migration of the VM web01 (found by name in the hosts' libvirt facts)"
set +e
ansible-playbook vfio.mdev_migration.gate -i "$SIM/inventory.yml" -e gate_vm=web01 \
  -e gate_candidates=mdev_hosts | tee "$DEMO/gate.log"
status=${PIPESTATUS[0]}
set -e

log "Planning the evacuation of gpu-a1 (check mode: the plan only, nothing changed)"
set +e
ansible-playbook vfio.mdev_migration.evacuate -i "$SIM/inventory.yml" -e evacuate_host=gpu-a1 \
  -e evacuate_targets=mdev_hosts --check > "$DEMO/evacuate.log"
evacuate_status=$?
set -e
[ "$evacuate_status" -eq 0 ] || cat "$DEMO/evacuate.log"
# Check mode writes no file: the plan is taken from what the play printed.
rm -f "$DEMO/evacuation-gpu-a1.md"
"$VENV/bin/python" - "$DEMO/evacuate.log" "$DEMO/evacuation-gpu-a1.md" <<'PY'
import json, re, sys
log = open(sys.argv[1]).read()
found = re.search(r"TASK \[vfio\.mdev_migration\.evacuate : Show the plan\].*?=> (\{.*?\n\})", log, re.S)
if found:
    open(sys.argv[2], "w").write("\n".join(json.loads(found.group(1))["msg"]) + "\n")
PY

log "Result"
echo "Audit report: $DEMO/report/mdev-audit.html (also .md and .json)"
grep -o -E '"(VM web01 runs on|Migrate to) [^"]*"' "$DEMO/gate.log" | tr -d '"' || true
echo
cat "$DEMO/evacuation-gpu-a1.md" 2>/dev/null || echo "(no evacuation plan: see $DEMO/evacuate.log)"
[ "$status" -ne 0 ] || status=$evacuate_status
exit "$status"
