#!/usr/bin/env bash
# Gate by VM name on simulated hosts whose VMs are served by libvirt's test driver (read through
# the real virsh): the right source host and devices, a VM with two vGPUs, capacity reserved by
# mdevctl, a VM on two hosts, a VM nowhere, a VM without devices, and the faults of the VM facts.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$(pwd)/fleet.yml"
INV="$SIM_DIR/inventory.yml"

ansible-playbook -i "$INV" gate.yml "$@"
ansible-playbook -i "$INV" facts.yml "$@"

# gate_fails VM PATTERN...: the gate playbook for VM fails, and its output matches every PATTERN.
gate_fails() {
  local vm="$1" log="$SIM_DIR/gate-$1.log" status
  shift
  set +e
  ansible-playbook -i "$INV" vfio.mdev_migration.gate -e "gate_vm=$vm" "$@" > "$log" 2>&1
  status=$?
  set -e
  [ "$status" -ne 0 ] || { cat "$log"; echo "the gate of $vm did not fail"; exit 1; }
  for pattern in "${PATTERNS[@]}"; do
    grep -q -E "$pattern" "$log" || { cat "$log"; echo "no '$pattern' in the gate of $vm"; exit 1; }
  done
}
PATTERNS=("vm split is running on 2 hosts: src, twin" "split-brain")
gate_fails split
PATTERNS=("vm nosuch is not running on any host whose VMs are known"
          "vm-malformed \(libvirt could not be read" "vm-refused \(libvirt could not be read")
gate_fails nosuch
PATTERNS=("vm idle on src holds no mdev and no vendor-VFIO VF")
gate_fails idle
# A VM whose host is left out of the play is not found: its VMs are unknown in this run.
PATTERNS=("vm web01 is not running on any host whose VMs are known" "src \(")
gate_fails web01 -e gate_candidates='all:!src'

# The collection's playbook: the VM named, its host found, the answer printed.
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_vm=web01 -e 'gate_candidates=both:src' \
  "$@" > "$SIM_DIR/gate-playbook.log"
grep -q "VM web01 runs on src with 6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01." "$SIM_DIR/gate-playbook.log"
grep -q "Migrate to both (evidence: probe)." "$SIM_DIR/gate-playbook.log"
