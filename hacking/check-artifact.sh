#!/usr/bin/env bash
# Packaging checks: build the collection, make sure the artifact carries no junk, run
# galaxy-importer on it, check the execution-environment files with ansible-builder, then
# install the artifact into a clean collections path and run the audit and gate playbooks of the
# installed collection against the simulated fleet.
set -euo pipefail
# shellcheck source=hacking/lib.sh
. "$(dirname "$0")/lib.sh"

# What a built artifact may contain, and nothing else. Top level: the collection's content, user
# docs and the files ansible-galaxy writes; tests/: what ansible-test needs on an installed
# collection. Anywhere: no dotfiles or dot-directories (.venv*, .ansible, .hypothesis, caches,
# .plugin-cache.yaml, ...), no bytecode, no tarballs, no importer output.
ALLOWED_TOP='^(MANIFEST\.json|FILES\.json|README\.md|LICENSE|CHANGELOG\.(md|rst)|requirements\.txt|bindep\.txt|changelogs|docs|meta|playbooks|plugins|roles|tools|tests)(/|$)'
ALLOWED_TESTS='^tests(/?$|/(unit|integration|sanity)(/|$)|/config\.yml$)'
DENIED_ANYWHERE='(^|/)(\.[^/]+|__pycache__|importer_result\.json)(/|$)|\.pyc$|\.tar\.gz$'

# check_contents TARBALL: print every member outside the allow-list, fail if there is one.
check_contents() {
  local members bad
  members="$(tar tzf "$1" | sed -e 's#^\./##' -e '/^$/d')"
  bad="$(printf '%s\n' "$members" | grep -vE "$ALLOWED_TOP" || true)"
  bad="$bad$(printf '\n%s' "$(printf '%s\n' "$members" | grep -E '^tests(/|$)' | grep -vE "$ALLOWED_TESTS" || true)")"
  bad="$bad$(printf '\n%s' "$(printf '%s\n' "$members" | grep -E "$DENIED_ANYWHERE" || true)")"
  bad="$(printf '%s\n' "$bad" | sed '/^$/d' | sort -u)"
  if [ -n "$bad" ]; then
    echo "The artifact $(basename "$1") carries files outside the allow-list (add them to build_ignore in galaxy.yml):" >&2
    printf '%s\n' "$bad" >&2
    return 1
  fi
  echo "$(printf '%s\n' "$members" | wc -l) members in $(basename "$1"), all on the allow-list"
}

# hacking/check-artifact.sh contents TARBALL: only the contents check, on any tarball.
if [ "${1:-}" = contents ]; then
  check_contents "$2"
  exit $?
fi

VENV="$REPO/.venv-package"
make_tool_venv package python3.11 "$REPO/tests/requirements-package.txt"
WORK="$(mktemp -d /tmp/mdev-migration-artifact.XXXXXX)"
SIM="$WORK/sim"
cleanup() {
  [ -x "$WORK/collections/ansible_collections/vfio/mdev_migration/tools/mdev-sim" ] && \
    "$WORK/collections/ansible_collections/vfio/mdev_migration/tools/mdev-sim" down "$SIM" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

log "Build"
"$VENV/bin/ansible-galaxy" collection build "$REPO" --output-path "$WORK" >/dev/null
TARBALL="$(ls "$WORK"/vfio-mdev_migration-*.tar.gz)"
check_contents "$TARBALL"

log "galaxy-importer"
cat > "$WORK/importer.cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_TEST = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
CFG
# galaxy-importer writes importer_result.json into its working directory: run it in WORK.
(cd "$WORK" && PATH="$VENV/bin:$PATH" GALAXY_IMPORTER_CONFIG="$WORK/importer.cfg" \
  "$VENV/bin/python" -m galaxy_importer.main "$TARBALL") | tee "$WORK/importer.log"
if grep -qiE "^(WARNING|ERROR)|warning:|error:" "$WORK/importer.log"; then
  echo "galaxy-importer reported warnings or errors" >&2
  exit 1
fi
grep -q "Importer processing completed successfully" "$WORK/importer.log"

log "Install the artifact into a clean collections path"
"$VENV/bin/ansible-galaxy" collection install "$TARBALL" -p "$WORK/collections" >/dev/null
INSTALLED="$WORK/collections/ansible_collections/vfio/mdev_migration"

log "Execution environment: ansible-builder"
"$VENV/bin/ansible-builder" introspect --sanitize "$WORK/collections" | tee "$WORK/introspect.txt"
grep -q "jmespath" "$WORK/introspect.txt"
grep -q "fuse3" "$WORK/introspect.txt"
cat > "$WORK/execution-environment.yml" <<EE
---
version: 3
images:
  base_image:
    name: registry.example.invalid/ee-minimal:latest
dependencies:
  ansible_core:
    package_pip: ansible-core>=2.16.0
  ansible_runner:
    package_pip: ansible-runner
  galaxy:
    collections:
      - name: $TARBALL
        type: file
EE
"$VENV/bin/ansible-builder" create -f "$WORK/execution-environment.yml" -c "$WORK/ee-context" >/dev/null
test -f "$WORK/ee-context/Containerfile" || test -f "$WORK/ee-context/Dockerfile"
echo "ansible-builder create accepted the collection"

log "Run the installed collection's playbooks against the simulated fleet"
DEV="$REPO/.venv-2.19"
make_venv 2.19 python3.11 "ansible-core>=2.19.0,<2.20"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections" PYTHON="$DEV/bin/python"
"$INSTALLED/tools/mdev-sim" up "$INSTALLED/tools/fleets/example.yml" "$SIM" >/dev/null
"$INSTALLED/tools/mdev-sim" inventory "$INSTALLED/tools/fleets/example.yml" "$SIM" > "$SIM/inventory.yml"
"$DEV/bin/ansible-playbook" -i "$SIM/inventory.yml" vfio.mdev_migration.audit -e audit_hosts=mdev_hosts \
  -e "audit_report_dir=$WORK/report" > "$WORK/audit.log"
test -s "$WORK/report/mdev-audit.html"
"$DEV/bin/ansible-playbook" -i "$SIM/inventory.yml" vfio.mdev_migration.gate -e gate_source=gpu-a1 \
  -e gate_devices=6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01 -e gate_candidates=mdev_hosts > "$WORK/gate.log"
grep -q "Migrate to gpu-a4 (evidence: probe)." "$WORK/gate.log"
echo "installed artifact: audit report written, gate chose gpu-a4"
