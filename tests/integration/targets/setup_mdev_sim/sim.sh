# shellcheck shell=bash
# Sourced by the runme.sh of targets that need simulated hosts. Finds the collection, brings a
# fleet up under $OUTPUT_DIR, writes an inventory, and takes the fleet down on exit, whether
# the target passed or failed.
set -eux

COLLECTION_ROOT=""
for base in ${ANSIBLE_COLLECTIONS_PATH:+${ANSIBLE_COLLECTIONS_PATH//:/ }} "$(cd ../../../../../.. && pwd)"; do
  if [ -x "$base/ansible_collections/vfio/mdev_migration/tools/mdev-sim" ]; then
    COLLECTION_ROOT="$base/ansible_collections/vfio/mdev_migration"
    break
  fi
done
[ -n "$COLLECTION_ROOT" ] || { echo "cannot find the collection's tools/mdev-sim" >&2; exit 1; }
export COLLECTION_ROOT
PYTHON="$(command -v python)"
export PYTHON
MDEV_SIM="$COLLECTION_ROOT/tools/mdev-sim"
EXAMPLE_FLEET="$COLLECTION_ROOT/tools/fleets/example.yml"
SIM_DIR="${OUTPUT_DIR:-$(mktemp -d)}/sim"
export SIM_DIR EXAMPLE_FLEET

sim_down() {
  "$MDEV_SIM" down "$SIM_DIR" || true
}

# sim_up FLEET: mount every reachable host, write $SIM_DIR/inventory.yml
sim_up() {
  trap sim_down EXIT
  "$MDEV_SIM" up "$1" "$SIM_DIR"
  "$MDEV_SIM" inventory "$1" "$SIM_DIR" > "$SIM_DIR/inventory.yml"
}
