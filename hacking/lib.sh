# shellcheck shell=bash
# Shared setup for hacking/test.sh and hacking/demo.sh: system packages, one venv per
# ansible-core series, the offline pip bootstrap for ansible-test, and the collection copy
# under ansible_collections/ that ansible-test needs.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO
PYENV_VERSIONS="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions"

log() { printf '\n==> %s\n' "$*"; }

# Every ansible-core series the collection claims (meta/runtime.yml), each with a Python it
# supports on the controller. Format: name|python|pip requirement|tier.
#   full:  the oldest and the newest series: sanity, units, integration, lint, docs.
#   light: the series in between: units and the integration target that exercises the
#          controller plugins over real inventory hostvars (filter_migration_targets).
CORE_SERIES=(
  "2.16|python3.11|ansible-core>=2.16.0,<2.17|full"
  "2.17|python3.11|ansible-core>=2.17.0,<2.18|light"
  "2.18|python3.11|ansible-core>=2.18.0,<2.19|light"
  "2.19|python3.11|ansible-core>=2.19.0,<2.20|light"
  "2.20|python3.12|ansible-core>=2.20.0,<2.21|light"
  "2.21|python3.12|ansible-core>=2.21.0,<2.22|full"
)

# find_python python3.12: a working interpreter of that name. pyenv's shims answer to every
# name but fail for a version that is not selected, so try each candidate before trusting it.
find_python() {
  local exe="$1" v
  for v in "$PYENV_VERSIONS"/*/bin/"$exe" "$(command -v "$exe" 2>/dev/null)"; do
    [ -x "$v" ] && "$v" -c 'import sys' >/dev/null 2>&1 && { echo "$v"; return 0; }
  done
  echo "No working $exe found" >&2
  return 1
}

# ensure_system_packages [chromium]: fuse3 for the simulator; virsh and mdevctl, which the simulator's
# tests run against its libvirt node files and mdevctl definitions; chromium for the report rendering test.
ensure_system_packages() {
  local missing=()
  command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
  command -v virsh >/dev/null 2>&1 || missing+=(libvirt-clients)
  command -v mdevctl >/dev/null 2>&1 || missing+=(mdevctl)
  if [ "${1:-}" = chromium ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "Missing system packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
      return 1
    fi
    log "Installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# make_venv NAME PYTHON REQUIREMENT: .venv-NAME with that ansible-core and the dev requirements.
# A venv whose inputs have not changed is reused; it is rebuilt from PyPI otherwise.
make_venv() {
  local name="$1" python="$2" core="$3" venv="$REPO/.venv-$1" stamp want
  want="$(printf '%s\n' "$core" | cat - "$REPO/tests/requirements-dev.txt" "$REPO/requirements.txt" | sha256sum | cut -c1-16)"
  stamp="$venv/.stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "Creating $venv ($core on $python)"
  rm -rf "$venv"
  local exe
  exe="$(find_python "$python")" || return 1
  "$exe" -m venv "$venv" || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip || return 1
  printf '%s\n' "$core" > "$venv/constraints.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check -c "$venv/constraints.txt" \
    "$core" -r "$REPO/requirements.txt" -r "$REPO/tests/requirements-dev.txt" || return 1
  echo "$want" > "$stamp"
}

# make_tool_venv NAME PYTHON REQUIREMENTS: .venv-NAME with the packages of a requirements file.
make_tool_venv() {
  local venv="$REPO/.venv-$1" want
  want="$(sha256sum "$3" | cut -c1-16)"
  if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$want" ]; then
    return 0
  fi
  log "Creating $venv ($3 on $2)"
  rm -rf "$venv"
  local exe
  exe="$(find_python "$2")" || return 1
  "$exe" -m venv "$venv" || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$3" || return 1
  echo "$want" > "$venv/.stamp"
}

# ansible-test fetches a pip bootstrap script from a host this machine cannot reach; a stand-in
# that installs pip from the interpreter's bundled wheel makes sanity and --venv work offline.
seed_get_pip() {
  local venv="$1" pipv cache="$HOME/.ansible/test/cache"
  pipv="$("$venv/bin/python" - <<'PY'
import types
try:
    from ansible_test._internal.python_requirements import get_venv_packages
    print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])
except Exception:
    print("24.2")
PY
)"
  mkdir -p "$cache"
  cat > "$cache/get_pip_${pipv//./_}.py" <<'PY'
"""Offline stand-in for get-pip.py: bootstrap pip from the interpreter's bundled wheel."""
import ensurepip
import glob
import os
import sys

whl = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))[-1]
sys.path.insert(0, whl)
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
PY
}

# copy_collection DEST_PARENT: a real copy (not a link) of the working tree under
# DEST_PARENT/ansible_collections/vfio/mdev_migration, without VCS data, venvs or test output;
# prints that path.
copy_collection() {
  local dest="$1/ansible_collections/vfio/mdev_migration"
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -C "$REPO" --exclude=./.git --exclude=./tests/output --exclude='./.venv*' --exclude=./.build \
    --exclude=./.demo --exclude=./.ansible --exclude='__pycache__' --exclude='./*.tar.gz' -cf - . | tar -C "$dest" -xf -
  echo "$dest"
}

# Every Python of the machine on PATH, so that sanity compile/import run on each.
all_pythons_path() {
  local p="" v
  for v in "$PYENV_VERSIONS"/3.*/bin; do
    p="$p:$v"
  done
  echo "${p#:}"
}
