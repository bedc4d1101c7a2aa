#!/usr/bin/env bash
# Target selection over a simulated fleet of ten hosts (one unreachable), through real
# inventory hostvars (lazy, templated values) and JMESPath.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
set -o pipefail
sim_up "$EXAMPLE_FLEET"
# ansible-test turns deprecation warnings off; the filters must not cause any on any supported
# ansible-core (2.21 warns when a lazy container, and with it the plugin loaders, is deep-copied).
ANSIBLE_DEPRECATION_WARNINGS=true ANSIBLE_NOCOLOR=true \
  ansible-playbook -i "$SIM_DIR/inventory.yml" -i extra_vars_inventory.yml playbook.yml "$@" 2>&1 | tee "$SIM_DIR/playbook.log"
if grep -q "DEPRECATION WARNING" "$SIM_DIR/playbook.log"; then
  echo "The filters caused deprecation warnings:" >&2
  grep -A2 "DEPRECATION WARNING" "$SIM_DIR/playbook.log" >&2
  exit 1
fi
