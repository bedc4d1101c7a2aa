#!/usr/bin/env bash
# Every module's and plugin's EXAMPLES, and every playbook and command of the user guides, the
# README and the role READMEs, run as written against the simulated example fleet.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
# No sudo on test machines: privilege escalation (the probe's) goes through su, as root.
BECOME=(-e ansible_become_method=ansible.builtin.su)
python extract_examples.py "$COLLECTION_ROOT" "$SIM_DIR/examples.yml"
(cd "$SIM_DIR" && ansible-playbook -i inventory.yml examples.yml "${BECOME[@]}" "$@")

python extract_doc_examples.py "$COLLECTION_ROOT" "$SIM_DIR"
(cd "$SIM_DIR" && ansible-playbook -i inventory.yml doc-examples.yml "${BECOME[@]}" "$@")
while IFS= read -r command; do
  echo "== $command"
  (cd "$SIM_DIR" && eval "$command ${BECOME[*]}")
done < "$SIM_DIR/doc-commands.txt"
