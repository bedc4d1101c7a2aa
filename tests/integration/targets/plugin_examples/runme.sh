#!/usr/bin/env bash
# Every module's and plugin's EXAMPLES run, as written, against the simulated example fleet.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
python extract_examples.py "$COLLECTION_ROOT" "$SIM_DIR/examples.yml"
(cd "$SIM_DIR" && ansible-playbook -i inventory.yml examples.yml "$@")
