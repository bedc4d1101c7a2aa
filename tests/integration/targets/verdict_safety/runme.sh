#!/usr/bin/env bash
# Verdict-safety matrix on simulated hosts: every way the evidence can fail, through the real gate
# role and the filters, each beside a healthy control host.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$(pwd)/fleet.yml"
INV="$SIM_DIR/inventory.yml"

ansible-playbook -i "$INV" gate.yml "$@"
ansible-playbook -i "$INV" offline.yml "$@"

# Stale facts: fill a fact cache with every host up, then make "stale" unreachable.
export ANSIBLE_CACHE_PLUGIN=ansible.builtin.jsonfile
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$SIM_DIR/fact-cache"
ansible-playbook -i "$INV" stale.yml -e expect_stale_selected=true "$@"
cat > "$SIM_DIR/down.yml" <<'YAML'
all:
  hosts:
    stale: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 9,
            ansible_ssh_common_args: "-o ConnectTimeout=2 -o StrictHostKeyChecking=no"}
YAML
ansible-playbook -i "$INV" -i "$SIM_DIR/down.yml" stale.yml -e expect_stale_selected=false "$@"
# Cached facts older than max_age: the source's are too, so the gate refuses to decide at all.
set +e
ansible-playbook -i "$INV" -i "$SIM_DIR/down.yml" stale.yml -e use_cache=true -e max_age=0 \
  -e expect_stale_selected=false "$@" > "$SIM_DIR/too-old.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
grep -q "source_host src: stale facts" "$SIM_DIR/too-old.log"
# Opting into cached facts (no probe, young enough) is the user's choice: then the cache is used.
ansible-playbook -i "$INV" -i "$SIM_DIR/down.yml" stale.yml -e use_cache=true -e max_age=3600 \
  -e expect_stale_selected=true "$@"

# The role's required source host is enforced by its argument spec.
set +e
ansible-playbook -i "$INV" /dev/stdin > "$SIM_DIR/nosource.log" 2>&1 <<'YAML'
- hosts: ok
  gather_facts: false
  roles: [vfio.mdev_migration.migration_gate]
YAML
status=$?
set -e
[ "$status" -ne 0 ]
grep -q "migration_gate_source_host" "$SIM_DIR/nosource.log"
