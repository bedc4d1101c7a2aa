#!/usr/bin/env bash
# migration_gate end to end on the simulated example fleet: the choice, the ranking, the
# evidence, and the refusal with per-host reasons.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
sim_up "$EXAMPLE_FLEET"
INV="$SIM_DIR/inventory.yml"
ansible-playbook -i "$INV" test_gate.yml "$@" | tee "$SIM_DIR/gate.log"
# A successful gate still says, in its normal output, why the other hosts were left out.
grep -q "host(s) left out" "$SIM_DIR/gate.log"
grep -Eq "gpu-x9: unknown \\(.*(unreachable|did not answer|not gathered)" "$SIM_DIR/gate.log"

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
grep -Eq "gpu-x9 +unknown +unknown +0 +facts were not gathered in this run: the host was unreachable" "$SIM_DIR/refusal.log"

# Argument validation names the bad input.
set +e
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-a1 -e gate_policy=best \
  > "$SIM_DIR/badarg.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ]
grep -q "migration_gate_policy" "$SIM_DIR/badarg.log"
# The playbook checks the gate's arguments once (they are the play's), before any host is gathered.
[ "$(grep -c "TASK \[vfio.mdev_migration.migration_gate : Check the role's arguments, once\]" "$SIM_DIR/badarg.log")" -eq 1 ]
if grep -q "Gather mdev facts" "$SIM_DIR/badarg.log"; then echo "a host was gathered despite a bad argument"; exit 1; fi
# ... and, like the check ansible-core inserts, it runs whatever --tags asks for.
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-a1 -e gate_policy=best --tags no_such_tag \
  > "$SIM_DIR/badarg-tags.log" 2>&1 && status=0 || status=$?
[ "$status" -ne 0 ]
grep -q "migration_gate_policy" "$SIM_DIR/badarg-tags.log"

# A copy of the playbook outside the collection checks with the spec of the role it imports, not
# with one it might find beside itself (here a decoy that accepts anything).
mkdir -p "$SIM_DIR/elsewhere/playbooks" "$SIM_DIR/elsewhere/roles/migration_gate/meta"
cp "$COLLECTION_ROOT/playbooks/gate.yml" "$SIM_DIR/elsewhere/playbooks/gate.yml"
printf 'argument_specs:\n  main:\n    options: {}\n' > "$SIM_DIR/elsewhere/roles/migration_gate/meta/argument_specs.yml"
ansible-playbook -i "$INV" "$SIM_DIR/elsewhere/playbooks/gate.yml" -e gate_source=gpu-a1 -e gate_policy=best \
  > "$SIM_DIR/elsewhere-bad.log" 2>&1 && status=0 || status=$?
[ "$status" -ne 0 ]
grep -q "value of migration_gate_policy must be one of" "$SIM_DIR/elsewhere-bad.log"
ansible-playbook -i "$INV" "$SIM_DIR/elsewhere/playbooks/gate.yml" -e gate_source=gpu-a1 -e gate_candidates=mdev_hosts \
  -e gate_devices=6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01 > "$SIM_DIR/elsewhere.log" 2>&1 || { cat "$SIM_DIR/elsewhere.log"; exit 1; }
grep -q "Migrate to gpu-a4 (evidence: probe)" "$SIM_DIR/elsewhere.log"

# What is a host's own is still checked on that host: a candidate that is not the play's first
# host, with a sysfs_root that is no directory, is refused by mdev_facts naming the option, and is
# never a target; the gate goes on with the others (and the play ends failed, for that host).
cat > "$SIM_DIR/bad_root.yml" <<EOF
all:
  hosts:
    gpu-a4:
      sysfs_root: $SIM_DIR/no-such-dir
EOF
ansible-playbook -i "$INV" -i "$SIM_DIR/bad_root.yml" vfio.mdev_migration.gate -e gate_source=gpu-a1 \
  -e gate_candidates=mdev_hosts -e gate_devices=6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01 > "$SIM_DIR/badroot.log" 2>&1 \
  && status=0 || status=$?
cat "$SIM_DIR/badroot.log"
[ "$status" -eq 2 ]
grep -Eq "^gpu-a4 +: ok=0 .* failed=1 " "$SIM_DIR/badroot.log"
grep -q "gpu-a4.*sysfs_root '$SIM_DIR/no-such-dir' is not a directory" "$SIM_DIR/badroot.log"
grep -q "Migrate to gpu-a2 (evidence: probe)" "$SIM_DIR/badroot.log"
grep -Eq "gpu-a4: unknown" "$SIM_DIR/badroot.log"

# A source host that is not in the inventory is named as such, not as "unreachable" (with
# ansible-core's default handling of an unmatched host pattern, which ansible-test makes an error).
set +e
ANSIBLE_HOST_PATTERN_MISMATCH=warning ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-zz -e gate_candidates=mdev_hosts \
  > "$SIM_DIR/nosuch.log" 2>&1
status=$?
ansible-playbook -i "$INV" vfio.mdev_migration.gate -e gate_source=gpu-a1 -e gate_candidates=mdev_hosts \
  -e gate_devices=6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01,6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02 > "$SIM_DIR/comma.log" 2>&1
comma_status=$?
set -e
[ "$status" -ne 0 ] && [ "$comma_status" -ne 0 ]
grep -q "gpu-zz is not in the inventory" "$SIM_DIR/nosuch.log"
grep -q "a comma-separated string is not a list" "$SIM_DIR/comma.log"

# ansible-core before 2.20 keeps a file open on the controller for each write to a file-based fact
# cache, until the run ends. The gate checks, before gathering, that the files the controller holds
# now plus those the gathering needs fit under the open-files limit: with room it gates; after
# earlier writes in the same run have used the room up it says so (instead of the run stopping
# part way, "process object is closed"). ansible-core 2.20 and later close those files, and the
# check does not run there.
export ANSIBLE_CACHE_PLUGIN=jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION="$SIM_DIR/fact-cache"
gate_args=(-e gate_source=gpu-a1 -e gate_candidates=mdev_hosts -e gate_devices=6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01)
(ulimit -n 80; ansible-playbook -i "$INV" --forks 5 vfio.mdev_migration.gate "${gate_args[@]}") > "$SIM_DIR/files.log" 2>&1 \
  || { cat "$SIM_DIR/files.log"; exit 1; }
grep -q "Migrate to gpu-a4 (evidence: probe)" "$SIM_DIR/files.log"
cat > "$SIM_DIR/leaky.yml" <<'EOF'
- name: Write every host's facts to the cache four times first
  hosts: gpu-a1:mdev_hosts
  gather_facts: false
  tasks:
    - {name: Cache a fact, ansible.builtin.set_fact: {leak_1: 1, cacheable: true}}
    - {name: Cache a fact, ansible.builtin.set_fact: {leak_2: 1, cacheable: true}}
    - {name: Cache a fact, ansible.builtin.set_fact: {leak_3: 1, cacheable: true}}
    - {name: Cache a fact, ansible.builtin.set_fact: {leak_4: 1, cacheable: true}}
- name: Then gate
  ansible.builtin.import_playbook: vfio.mdev_migration.gate
EOF
(ulimit -n 80; ansible-playbook -i "$INV" --forks 5 "$SIM_DIR/leaky.yml" "${gate_args[@]}") > "$SIM_DIR/nofiles.log" 2>&1 \
  && status=0 || status=$?
cat "$SIM_DIR/nofiles.log"
if python -c 'import sys; from ansible.release import __version__ as v; sys.exit(tuple(map(int, v.split(".")[:2])) >= (2, 20))'; then
  [ "$status" -ne 0 ]
  grep -q "keeps a file open on the controller for each write to the jsonfile fact cache" "$SIM_DIR/nofiles.log"
  grep -q "and it may open 80 (ulimit -n)" "$SIM_DIR/nofiles.log"
  if grep -q "TASK \[vfio.mdev_migration.migration_gate : Gather mdev facts" "$SIM_DIR/nofiles.log"; then
    echo "hosts were gathered despite too low an open-files limit"; exit 1
  fi
else
  [ "$status" -eq 0 ]
  grep -q "Migrate to gpu-a4 (evidence: probe)" "$SIM_DIR/nofiles.log"
fi
unset ANSIBLE_CACHE_PLUGIN ANSIBLE_CACHE_PLUGIN_CONNECTION
