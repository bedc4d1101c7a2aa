# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mount simulated hosts (tools/mdev_sim over FUSE) for tests, and always unmount them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

yaml = pytest.importorskip("yaml")


def run_command(args, environ_update=None):
    """``(rc, stdout, stderr)`` of ``args``, as AnsibleModule.run_command gives them (for gather_facts)."""
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          env=dict(os.environ, **(environ_update or {})))
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def fuse_available():
    return os.geteuid() == 0 and os.path.exists("/dev/fuse") and any(
        os.access(os.path.join(p, "fusermount3"), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep))


def skipping_allowed():
    """ALLOW_SKIPPED_FUSE_TESTS=1 lets these tests skip. ansible-test gives pytest none of the
    caller's environment, so hacking/test.sh leaves the same answer as a file in the copy it tests."""
    return os.environ.get("ALLOW_SKIPPED_FUSE_TESTS") == "1" or os.path.exists(
        os.path.join(TOOLS, "..", "tests", "output", "allow-skipped-fuse-tests"))


def require(commands=(), fuse=True):
    """Fail when root, FUSE or a command is missing: a skip would let the run pass having tested less."""
    missing = ["root, /dev/fuse and fusermount3"] if fuse and not fuse_available() else []
    missing += [c for c in commands if shutil.which(c) is None]
    if missing:
        message = "needs %s (install: hacking/lib.sh ensure_system_packages)" % ", ".join(missing)
        if skipping_allowed():
            pytest.skip(message)
        pytest.fail(message + "; ALLOW_SKIPPED_FUSE_TESTS=1 skips instead")


needs_fuse = pytest.mark.skipif(not fuse_available(), reason="needs root, /dev/fuse and fusermount3")


@contextlib.contextmanager
def mounted_fleet(tmp_path, hosts):
    """Mount ``hosts`` (name -> host description); yields a Fleet; always unmounts.

    The mounts live in a directory of their own, not under pytest's temporary directories:
    pytest removes old temporary directories with rmtree, which a live mount would break.
    """
    from mdev_sim.cli import fleet_down, fleet_up   # pylint: disable=import-error
    fleet_file = os.path.join(str(tmp_path), "fleet.yml")
    with open(fleet_file, "w") as handle:
        yaml.safe_dump({"fleet_format": 1, "hosts": hosts}, handle)
    directory = tempfile.mkdtemp(prefix="mdev-sim-test-")
    os.chmod(directory, 0o755)     # other uids reach the mounts (the root-only write tests)
    try:
        state = fleet_up(fleet_file, directory)
        yield Fleet(directory, state)
    finally:
        fleet_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


class Fleet:
    def __init__(self, directory, state):
        self.directory = directory
        self.state = state

    def host_root(self, host):
        """The mount of ``host``: its host root (sys/, proc/, etc/)."""
        return os.path.join(self.directory, host)

    def root(self, host):
        """The sysfs root of ``host``: <mount>/<host>/sys."""
        return os.path.join(self.directory, host, "sys")

    def writes(self, op=None):
        """The simulator's write log: every write attempt (and refused open for writing)."""
        with open(self.state["write_log"]) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        return [r for r in records if op is None or r["op"] == op]

    def clear_log(self):
        open(self.state["write_log"], "w").close()
