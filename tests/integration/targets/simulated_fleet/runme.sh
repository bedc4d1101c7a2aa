#!/usr/bin/env bash
# Bring up the example fleet, run mdev_facts on every simulated host through ansible-playbook,
# and compare the gathered facts with the fleet description, field by field.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
rm -rf "$SIM_DIR/facts"; mkdir -p "$SIM_DIR/facts"
ansible-playbook -i "$SIM_DIR/inventory.yml" -e "facts_dir=$SIM_DIR/facts" playbook.yml "$@"
PYTHONPATH="$COLLECTION_ROOT/tools" python check_facts.py "$EXAMPLE_FLEET" "$SIM_DIR/facts" "$(cd "$SIM_DIR" && pwd -P)"
# nothing was written anywhere while gathering
test ! -s "$SIM_DIR/write-log.jsonl"

# Each fault kind, through the module.
sim_down
SIM_DIR="$SIM_DIR-faults"
sim_up faulty_fleet.yml
ansible-playbook -i "$SIM_DIR/inventory.yml" faults.yml "$@"
