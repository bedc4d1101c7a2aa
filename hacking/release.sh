#!/usr/bin/env bash
# Prepare a release: hacking/release.sh VERSION (for example 0.1.0).
#
# Sets galaxy.yml's version to VERSION, lints the changelog fragments, then runs
# `antsibull-changelog release --version VERSION` in a venv of its own
# (tests/requirements-release.txt): changelogs/changelog.yaml gets the release, with the new
# modules, plugins and roles that antsibull-changelog finds from their docs (version_added),
# CHANGELOG.md is rendered from it, and the fragments are removed. It does not commit, tag,
# build or publish: review `git diff`, commit, tag VERSION, then build the artifact.
set -euo pipefail
# shellcheck source=hacking/lib.sh
. "$(dirname "$0")/lib.sh"

VERSION="${1:-}"
if ! [[ "$VERSION" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "usage: hacking/release.sh VERSION   (a semantic version, such as 0.1.0)" >&2
  exit 2
fi
cd "$REPO"
VENV="$REPO/.venv-release"
make_tool_venv release python3.11 "$REPO/tests/requirements-release.txt"

if "$VENV/bin/python" - "$VERSION" <<'PY'
import sys
import yaml
released = yaml.safe_load(open("changelogs/changelog.yaml")).get("releases") or {}
sys.exit(0 if sys.argv[1] in released else 1)
PY
then
  echo "Version $VERSION is already in changelogs/changelog.yaml" >&2
  exit 1
fi

current="$(sed -n 's/^version: *//p' galaxy.yml)"
if [ "$current" != "$VERSION" ]; then
  log "galaxy.yml: version $current -> $VERSION"
  sed -i "s/^version: .*/version: $VERSION/" galaxy.yml
fi

# antsibull-changelog lists the plugins through ansible-doc, which finds the collection only under
# an ansible_collections/ tree: point it at a link to this repository.
WORK="$(mktemp -d /tmp/mdev-migration-release.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/ansible_collections/vfio"
ln -s "$REPO" "$WORK/ansible_collections/vfio/mdev_migration"
export ANSIBLE_COLLECTIONS_PATH="$WORK" PATH="$VENV/bin:$PATH"

log "antsibull-changelog lint"
antsibull-changelog lint
log "antsibull-changelog release --version $VERSION"
antsibull-changelog release --version "$VERSION" --reload-plugins

log "Done: review and commit"
git status --short -- galaxy.yml changelogs CHANGELOG.md CHANGELOG.rst 2>/dev/null || true
echo "Next: git commit -am 'Release $VERSION'; git tag $VERSION; ansible-galaxy collection build"
