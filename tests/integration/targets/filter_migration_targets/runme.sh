#!/usr/bin/env bash
# Target selection over a simulated fleet of ten hosts (one unreachable), through real
# inventory hostvars (lazy, templated values) and JMESPath.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
ansible-playbook -i "$SIM_DIR/inventory.yml" -i extra_vars_inventory.yml playbook.yml "$@"
