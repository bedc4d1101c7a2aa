# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line of the simulator: mount one host, bring a fleet up or down, print an inventory."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import yaml

from .model import LIBVIRT_NODE_FILE, FleetError, HostModel, load_fleet, resolve_alias

STATE_FILE = "mdev-sim.state.json"
WRITE_LOG = "write-log.jsonl"
# Port 9 (discard) on loopback: nothing listens there, so a host pointed at it is unreachable
# without any traffic leaving the machine.
UNREACHABLE = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9,
               "ansible_ssh_common_args": "-o ConnectTimeout=2 -o StrictHostKeyChecking=no"}


def libvirt_uri(host_root, mode):
    """The libvirt URI of a mounted host: its test-driver node file, or for ``libvirt: refused`` a
    local socket that does not exist (a connection error, and no traffic leaves the machine)."""
    if mode == "refused":
        return "qemu+unix:///system?socket=%s" % quote(os.path.join(host_root, "run/libvirt/no-such-sock"))
    return "test://%s" % quote(os.path.join(host_root, LIBVIRT_NODE_FILE))


def is_mounted(path):
    real = os.path.realpath(path)
    with open("/proc/mounts") as handle:
        return any(line.split()[1] == real for line in handle)


def host_model(fleet_path, host, write_log=None):
    fleet = load_fleet(fleet_path)
    if host not in fleet["hosts"]:
        raise FleetError("%s: no host %r (hosts: %s)" % (fleet_path, host, ", ".join(sorted(fleet["hosts"]))))
    return HostModel(host, fleet["hosts"][host] or {}, write_log=write_log, fleet=fleet["hosts"])


class MountError(RuntimeError):
    """A host could not be mounted; the message says why."""


def cmd_mount(args):
    try:
        from .fusefs import serve   # mfusepy is needed only to mount
    except ImportError as exc:
        raise MountError("cannot mount: %s (the simulator needs mfusepy and libfuse3: "
                         "pip install -r tools/requirements.txt, apt-get install fuse3)" % exc)
    except OSError as exc:
        raise MountError("cannot mount: libfuse could not be loaded (%s); install fuse3" % exc)
    model = host_model(args.fleet, args.host, args.write_log)
    os.makedirs(args.mountpoint, exist_ok=True)
    # libfuse ends its loop on SIGTERM, SIGINT and SIGHUP and unmounts: a clean stop, status 0.
    try:
        serve(model, args.mountpoint)
    except RuntimeError as exc:
        raise MountError("cannot mount %s: %s" % (args.mountpoint, exc))
    return 0


def _last_line(path):
    """The last non-empty line of a log file (the cause of a failed mount), or ''."""
    try:
        with open(path) as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError:
        return ""
    cause = lines[-1] if lines else ""
    return cause[len("mdev-sim: "):] if cause.startswith("mdev-sim: ") else cause


def unmount(mountpoint):
    if not is_mounted(mountpoint):
        return True
    for cmd in (["fusermount3", "-u", mountpoint], ["umount", mountpoint], ["umount", "-l", mountpoint]):
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        except OSError:
            continue
        if not is_mounted(mountpoint):
            return True
    return not is_mounted(mountpoint)


def _alive(pid):
    """True while ``pid`` runs; reaps it when it is our own child (a zombie is not alive)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def fleet_down(directory):
    state_path = os.path.join(directory, STATE_FILE)
    if not os.path.exists(state_path):
        return 0
    with open(state_path) as handle:
        state = json.load(handle)
    failed = []
    for host, entry in sorted(state.get("hosts", {}).items()):
        if not unmount(entry["mountpoint"]):
            failed.append(entry["mountpoint"])
        try:
            os.kill(entry["pid"], signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + 5
    for entry in state.get("hosts", {}).values():
        while _alive(entry["pid"]) and time.time() < deadline:
            time.sleep(0.01)
    os.unlink(state_path)
    if failed:
        sys.stderr.write("mdev-sim: could not unmount %s\n" % ", ".join(failed))
        return 1
    return 0


def fleet_up(fleet_path, directory, hosts=None, timeout=15.0):
    fleet = load_fleet(fleet_path)
    for name, spec in fleet["hosts"].items():
        HostModel(name, spec or {}, fleet=fleet["hosts"])   # check the whole description before mounting anything
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(os.path.join(directory, STATE_FILE)):
        fleet_down(directory)
    log = os.path.join(directory, WRITE_LOG)
    open(log, "w").close()
    state = {"fleet": os.path.abspath(fleet_path), "write_log": log, "hosts": {}}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    try:
        for name, spec in sorted(fleet["hosts"].items()):
            if (spec or {}).get("unreachable") or (hosts and name not in hosts):
                continue
            mountpoint = os.path.join(os.path.abspath(directory), name)
            os.makedirs(mountpoint, exist_ok=True)
            # The mount process outlives this command: it must not hold our stdout/stderr open.
            log_path = os.path.join(os.path.abspath(directory), "%s.log" % name)
            with open(log_path, "w") as errors:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "mdev_sim", "mount", fleet_path, name, mountpoint, "--write-log", log],
                    env=env, start_new_session=True, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors)
            state["hosts"][name] = {"pid": proc.pid, "mountpoint": mountpoint}
            with open(os.path.join(directory, STATE_FILE), "w") as handle:
                json.dump(state, handle, indent=2)
            deadline = time.time() + timeout
            while not is_mounted(mountpoint):
                if proc.poll() is not None:
                    raise MountError("host %s did not mount at %s: %s (details in %s)" % (
                        name, mountpoint, _last_line(log_path) or "the mount process exited with status %s"
                        % proc.returncode, log_path))
                if time.time() > deadline:
                    raise MountError("host %s did not mount at %s within %g s (details in %s)"
                                     % (name, mountpoint, timeout, log_path))
                time.sleep(0.02)
    except BaseException:
        fleet_down(directory)
        raise
    return state


def inventory(fleet_path, directory):
    fleet = load_fleet(fleet_path)
    hosts = {}
    for name, spec in sorted(fleet["hosts"].items()):
        spec = spec or {}
        if spec.get("unreachable"):
            hostvars = dict(UNREACHABLE)
        else:
            # Local hosts run as the controller's user (root: FUSE mounts need it); the probe's
            # privilege escalation goes through su, which needs no sudo installed.
            hostvars = {"ansible_connection": "local",
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        "ansible_become_method": "ansible.builtin.su"}
        # The mount is the host root; sysfs is its sys/ (roles and filters read sysfs_root).
        hostvars["host_root"] = os.path.join(os.path.abspath(directory), name)
        hostvars["sysfs_root"] = os.path.join(hostvars["host_root"], "sys")
        if not spec.get("unreachable"):
            machine = resolve_alias(name, spec, fleet["hosts"])
            hostvars["libvirt_uri"] = libvirt_uri(hostvars["host_root"], machine.get("libvirt", "served"))
        hostvars.update(spec.get("host_vars") or {})
        hosts[name] = hostvars
    return {"all": {"children": {"mdev_hosts": {"hosts": hosts}}}}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mdev-sim", description="Simulated mdev sysfs trees over FUSE.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("mount", help="mount one host in the foreground (SIGTERM unmounts)")
    p.add_argument("fleet")
    p.add_argument("host")
    p.add_argument("mountpoint")
    p.add_argument("--write-log")
    p = sub.add_parser("up", help="mount every reachable host of a fleet under DIR/<host>")
    p.add_argument("fleet")
    p.add_argument("directory")
    p = sub.add_parser("down", help="unmount a fleet brought up in DIR")
    p.add_argument("directory")
    p = sub.add_parser("inventory", help="print a YAML inventory pointing host_root, sysfs_root and libvirt_uri at the mounts")
    p.add_argument("fleet")
    p.add_argument("directory")
    p = sub.add_parser("materialize", help="write one host's root as plain files (no semantics, no faults)")
    p.add_argument("fleet")
    p.add_argument("host")
    p.add_argument("directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "mount":
            return cmd_mount(args)
        if args.command == "up":
            state = fleet_up(args.fleet, args.directory)
            for name, entry in sorted(state["hosts"].items()):
                print("%s %s" % (name, entry["mountpoint"]))
            return 0
        if args.command == "down":
            return fleet_down(args.directory)
        if args.command == "inventory":
            sys.stdout.write(yaml.safe_dump(inventory(args.fleet, args.directory), default_flow_style=False))
            return 0
        if args.command == "materialize":
            host_model(args.fleet, args.host).materialize(args.directory)
            return 0
    except (FleetError, RuntimeError, OSError) as exc:
        sys.stderr.write("mdev-sim: %s\n" % exc)
        return 2
    return 2
