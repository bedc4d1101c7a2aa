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
# The guides gather into a fact cache (guide_fact_caching.rst's ansible.cfg) and decide from it:
# commands first, then the playbooks, all with that cache.
export ANSIBLE_CACHE_PLUGIN=ansible.builtin.jsonfile
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$SIM_DIR/fact-cache"
while IFS= read -r command; do
  echo "== $command"
  status=0
  (cd "$SIM_DIR" && eval "$command ${BECOME[*]}") || status=$?
  # The example fleet has an unreachable host by design: an ad-hoc command then exits 4.
  case "$command" in
    "ansible "*) [ "$status" -eq 0 ] || [ "$status" -eq 4 ] ;;
    *) [ "$status" -eq 0 ] ;;
  esac
done < "$SIM_DIR/doc-commands.txt"
(cd "$SIM_DIR" && ansible-playbook -i inventory.yml doc-examples.yml "${BECOME[@]}" "$@")
