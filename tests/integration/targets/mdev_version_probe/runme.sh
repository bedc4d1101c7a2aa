#!/usr/bin/env bash
# mdev_version_probe through ansible-playbook on simulated hosts; the simulator's write log
# proves what was written.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
ansible-playbook -i "$SIM_DIR/inventory.yml" -e "write_log=$SIM_DIR/write-log.jsonl" playbook.yml "$@"
