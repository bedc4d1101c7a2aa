#!/usr/bin/env bash
# The demo: a simulated fleet of ten KVM hosts with vGPUs (no GPU needed), an audit report of
# the fleet, and a gate decision for migrating one VM. Installs what it needs on a fresh machine.
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

log "Result"
echo "Audit report: $DEMO/report/mdev-audit.html (also .md and .json)"
grep -o -E '"(VM web01 runs on|Migrate to) [^"]*"' "$DEMO/gate.log" | tr -d '"' || true
exit "$status"
