#!/usr/bin/env bash
# Run every test of the collection on a fresh machine: installs what it needs (fuse3, one venv
# per claimed ansible-core series, see CORE_SERIES in hacking/lib.sh). For the oldest and the
# newest ansible-core (2.16 and 2.21) it runs ansible-test sanity (compile and import on every
# Python of the machine), units and integration, ansible-lint's production profile and the docs
# lint; for each series in between (2.17 to 2.20) the unit tests and the integration target that
# runs the controller plugins over real inventory hostvars. Then, once, the packaging checks.
# Exits non-zero if any step fails; prints a summary of every step at the end.
#
#   hacking/test.sh                      # everything
#   SERIES=2.16 hacking/test.sh          # one ansible-core series (all of its steps)
#   SERIES="2.17 2.18" hacking/test.sh   # several
#   STEPS="units integration" hacking/test.sh
set -uo pipefail
# shellcheck source=hacking/lib.sh
. "$(dirname "$0")/lib.sh"

STEPS="${STEPS:-sanity units integration lint docs package}"
SERIES="${SERIES:-}"
results=()
failed=0

step() {
  local label="$1"; shift
  log "$label"
  local start=$SECONDS
  if "$@"; then
    results+=("PASS  $label ($((SECONDS - start)) s)")
  else
    results+=("FAIL  $label ($((SECONDS - start)) s)")
    failed=1
  fi
}

wants() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# The targets a light series runs: the controller plugins over real hostvars of a simulated fleet.
LIGHT_TARGETS="${LIGHT_TARGETS:-filter_migration_targets}"

ensure_system_packages chromium || exit 1
# The simulator's tests (every probe and fault test) need root, /dev/fuse and fusermount3; without
# them pytest would skip them and the run would pass having tested far less. Refuse instead.
if [ "${ALLOW_SKIPPED_FUSE_TESTS:-}" != 1 ] && ! { [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; }; then
  echo "make test needs root, /dev/fuse and fusermount3 (apt-get install fuse3) for the simulator's tests;" \
       "ALLOW_SKIPPED_FUSE_TESTS=1 runs without them, skipping those tests" >&2
  exit 1
fi
WORK="$(mktemp -d /tmp/mdev-migration-test.XXXXXX)"
# A test that fails must not leave a simulator mounted: unmount whatever is under WORK.
cleanup() {
  grep -E " ($WORK/|/tmp/mdev-sim-test-)" /proc/mounts 2>/dev/null | awk '{print $2}' | sort -r | while read -r m; do
    fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for entry in "${CORE_SERIES[@]}"; do
  IFS='|' read -r name python core tier <<<"$entry"
  [ -n "$SERIES" ] && case " $SERIES " in *" $name "*) ;; *) continue ;; esac
  make_venv "$name" "$python" "$core" || { results+=("FAIL  setup ansible-core $name"); failed=1; continue; }
  venv="$REPO/.venv-$name"
  pyver="${python#python}"
  seed_get_pip "$venv"
  dest="$(copy_collection "$WORK/$name")"
  # ansible-test hands pytest none of this environment: the tests that fail rather than skip without
  # root, FUSE, virsh or mdevctl read the permission to skip from this file of the copy.
  if [ "${ALLOW_SKIPPED_FUSE_TESTS:-}" = 1 ]; then
    mkdir -p "$dest/tests/output" && touch "$dest/tests/output/allow-skipped-fuse-tests"
  fi
  export TMPDIR="$WORK"
  (
    results=()
    cd "$dest" || exit 1
    export PATH="$venv/bin:$(all_pythons_path):$PATH"
    export ANSIBLE_COLLECTIONS_PATH="$WORK/$name"
    core_version="$(ansible --version)"
    echo "== ${core_version%%$'\n'*}"
    if [ "$tier" = light ]; then
      wants units && step "[$name] ansible-test units" \
        ansible-test units --local --python "$pyver" --requirements --color no
      # shellcheck disable=SC2086 # LIGHT_TARGETS is a list of target names
      wants integration && step "[$name] ansible-test integration $LIGHT_TARGETS" \
        ansible-test integration --local --python "$pyver" --requirements --allow-destructive --color no $LIGHT_TARGETS
    else
      wants sanity && step "[$name] ansible-test sanity (all Pythons)" \
        ansible-test sanity --local --color no
      wants units && step "[$name] ansible-test units" \
        ansible-test units --local --python "$pyver" --requirements --color no
      wants units && cat tests/output/fault-matrix.txt 2>/dev/null
      wants integration && step "[$name] ansible-test integration" \
        ansible-test integration --local --python "$pyver" --requirements --allow-destructive --color no
      # Test artifacts (the audit report as headless Chromium rendered it) outlive the work copy.
      if wants integration && [ -d tests/output/data ]; then
        mkdir -p "$REPO/tests/output/artifacts-$name" && cp -r tests/output/data/. "$REPO/tests/output/artifacts-$name/"
        echo "Test artifacts: $REPO/tests/output/artifacts-$name"
      fi
      wants lint && step "[$name] ansible-lint --profile production" \
        ansible-lint --profile production --offline
      wants docs && step "[$name] antsibull-docs lint-collection-docs --plugin-docs" \
        antsibull-docs lint-collection-docs --plugin-docs .
    fi
    printf '%s\n' "${results[@]}" > "$WORK/results-$name"
    exit "$failed"
  ) || failed=1
  [ -f "$WORK/results-$name" ] && mapfile -t -O "${#results[@]}" results < "$WORK/results-$name"
done

# Packaging (once): the built artifact, galaxy-importer, execution environment, installed playbooks.
if wants package; then
  step "[package] build, galaxy-importer, ansible-builder, installed playbooks" "$REPO/hacking/check-artifact.sh"
fi

log "Summary"
printf '%s\n' "${results[@]}"
exit "$failed"
