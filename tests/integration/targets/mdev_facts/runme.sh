#!/usr/bin/env bash
# mdev_facts through ansible-playbook: on a plain tree on disk, and on the real /sys of this machine.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
TREE="$SIM_DIR/plain-gpu-a1"
rm -rf "$TREE"
"$MDEV_SIM" materialize "$EXAMPLE_FLEET" gpu-a1 "$TREE"
ansible-playbook -i localhost, -c local -e "tree=$TREE" -e "ansible_python_interpreter=$(command -v python)" \
  playbook.yml "$@"
ansible-playbook -i localhost, -c local -e "tree=$TREE" -e "ansible_python_interpreter=$(command -v python)" \
  --check playbook.yml "$@"
