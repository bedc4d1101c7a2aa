#!/usr/bin/env bash
# migration_gate end to end on the simulated example fleet: the choice, the ranking, the
# evidence, and the refusal with per-host reasons.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
INV="$SIM_DIR/inventory.yml"
ansible-playbook -i "$INV" test_gate.yml "$@"

# The collection's playbook refuses a VM nothing can take, with a table of reasons.
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-b1 -e gate_candidates=mdev_hosts \
  > "$SIM_DIR/refusal.log" 2>&1
status=$?
set -e
cat "$SIM_DIR/refusal.log"
[ "$status" -ne 0 ]
grep -q "No host can take the mdev device(s) 0b8a5b52-6e1f-4d5c-8f33-3c1e7e0a2b01 of gpu-b1" "$SIM_DIR/refusal.log"
grep -Eq "gpu-b2 +incompatible +policy +0 +no parent offers mdev type mtty-1" "$SIM_DIR/refusal.log"
grep -Eq "gpu-x9 +unknown +unknown +0 +no mdev facts for this host" "$SIM_DIR/refusal.log"

# Argument validation names the bad input.
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-a1 -e gate_policy=best \
  > "$SIM_DIR/badarg.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
grep -q "migration_gate_policy" "$SIM_DIR/badarg.log"
