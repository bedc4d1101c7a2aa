#!/usr/bin/env python
"""Gather at scale: mdev_facts vs mdevctl vs the floor (a process that only reads the files).

Not a test: nothing here passes or fails on a time. Builds plain trees on tmpfs (8, 32 and 128
parents x 20 types, up to 2,560 types; half the types with a version attribute, a created device
on every fourth parent), then times side by side in one run, as medians of several runs:

1. Process level, on each tree:
   - mdev_facts run as a process (python -m, no ansible-playbook), sysfs_root and host_root in
     the tree;
   - with BENCH_BEFORE (a directory holding ansible_collections/vfio/mdev_migration, e.g. the
     collection of an older commit), the same for that copy;
   - mdevctl types --dumpjson, in a private mount namespace with the tree bind-mounted at /sys;
   - the floor: one Python process that lists the same directories, resolves the same links
     and reads the same files as mdev_facts, with nothing else.
   The marginal cost per type is the slope between the smallest and the largest tree, for the
   processes and for the gathering alone inside the process (against the floor's reads, timed
   the same way): the difference is the writing of the result by AnsibleModule.
2. Task level, on the largest tree: ansible-playbook on localhost with one task, an mdev_facts
   task or an ansible.builtin.command: mdevctl types --dumpjson task. Both plays run in the same
   wrapper, a private mount namespace with the tree bind-mounted at /sys, so both tasks read
   the same tree at the same path and pay the same set-up. The task's own seconds (from its
   start to its result, measured by the task_seconds callback) and the whole play's are given,
   and those of a task that returns the same facts without gathering them (the replay task:
   the floor of any task with this result, set by ansible-core).

Prints Markdown tables. Needs root (unshare -m, mount), mdevctl and ansible-playbook on PATH.
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from mdev_sim.model import HostModel  # noqa: E402 pylint: disable=import-error,wrong-import-position

SIZES = (8, 32, 128)        # parents; 20 types each
MODULE = "ansible_collections.vfio.mdev_migration.plugins.modules.mdev_facts"
# The VMs (libvirt subset) are not gathered: they cost a virsh process whatever the number of
# types, and mdevctl types has no counterpart; case "every subset" shows what they add.
SUBSET = ["all", "!libvirt"]


def host_spec(parents, types):
    spec = {"kernel_release": "6.8.0-bench", "parents": {}, "devices": {}}
    for p in range(parents):
        bdf = "0000:%02x:%02x.0" % (p // 32 + 1, p % 32)
        tdict = {}
        for t in range(types):
            tid = "nvidia-%d" % (200 + t)
            entry = {"name": "GRID T4-%dQ" % t, "description": "num_heads=4, framebuffer=%dM" % (512 * (t + 1)),
                     "available_instances": t % 5}
            if t % 2 == 0:
                entry["migration"] = {"attribute": "migration_version", "version": "10de-1eb8-%s-550.54.10" % tid}
            tdict[tid] = entry
        spec["parents"][bdf] = {"pci": {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de",
                                        "subsystem_device_id": "12a2", "revision": "a1"},
                                "driver": "nvidia", "driver_version": "550.54.10", "numa_node": p % 2, "types": tdict}
        if p % 4 == 0:
            uuid = "00000000-0000-4000-8000-%012d" % p
            spec["devices"][uuid] = {"parent": bdf, "type": "nvidia-200"}
    return spec


def floor_script():
    """The same directories listed, links resolved and files read as mdev_facts, nothing else."""
    return r'''
import os, sys
host = sys.argv[1]
root = os.path.join(host, "sys")
def read(p):
    try:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.read(fd, 4097)
        finally:
            os.close(fd)
        return True
    except OSError:
        return False
def version(d):
    read(os.path.join(d, "migration_version")) or read(os.path.join(d, "version"))
for f in ("proc/sys/kernel/osrelease", "proc/sys/kernel/random/boot_id", "etc/machine-id"):
    read(os.path.join(host, f))
modules = set()
bus = os.path.join(root, "class/mdev_bus")
for parent in sorted(os.listdir(bus)):
    d = os.path.realpath(os.path.join(bus, parent))
    os.path.realpath(os.path.join(d, "subsystem"))
    os.path.realpath(os.path.join(d, "driver"))
    module = os.path.basename(os.path.realpath(os.path.join(d, "driver/module")))
    if module not in modules:
        modules.add(module)
        read(os.path.join(root, "module", module, "taint"))
        read(os.path.join(root, "module", module, "version"))
    for f in ("vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "numa_node"):
        read(os.path.join(d, f))
    tdir = os.path.join(d, "mdev_supported_types")
    for t in sorted(os.listdir(tdir)):
        for f in ("name", "description", "device_api", "available_instances"):
            read(os.path.join(tdir, t, f))
        sorted(os.listdir(os.path.join(tdir, t, "devices")))
        version(os.path.join(tdir, t))
devices = os.path.join(root, "bus/mdev/devices")
for u in sorted(os.listdir(devices)):
    d = os.path.realpath(os.path.join(devices, u))
    os.path.realpath(os.path.join(d, "mdev_type"))
    version(d)
for d in (os.path.join(root, "bus/pci/devices"), os.path.join(host, "etc/mdevctl.d")):
    try:
        os.listdir(d)
    except OSError:
        pass
'''


def timed(cmd, env=None):
    """Wall seconds of ``cmd``, and the CPU seconds (user and system) of its processes: others'
    load on the machine stretches the first much more than the second."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def side_by_side(commands, runs):
    """Median wall and CPU seconds of each command, run in turn in every round so that the
    machine's load hits all alike: ``{name: (wall, cpu)}``."""
    times = {name: [] for name in commands}
    for _run in range(runs):
        for name, (cmd, env) in commands.items():
            times[name].append(timed(cmd, env))
    return {name: tuple(statistics.median(column) for column in zip(*values)) for name, values in times.items()}


def in_namespace(tree, command):
    """``command`` (a shell string) in a private mount namespace with ``tree`` at /sys."""
    return ["unshare", "-m", "sh", "-c", "mount --bind %s /sys && exec %s" % (tree, command)]


def process_level(base, versions, runs):
    rows = []
    for parents in SIZES:
        host = os.path.join(base, "p%d" % parents)
        HostModel("bench", host_spec(parents, 20)).materialize(host)
        args = os.path.join(base, "args-%d.json" % parents)
        with open(args, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"sysfs_root": os.path.join(host, "sys"), "host_root": host,
                                               "gather_subset": SUBSET}}, handle)
        commands = {}
        for name, collections in versions:
            commands[name] = ([sys.executable, "-m", MODULE, args], dict(os.environ, PYTHONPATH=collections))
        commands["mdevctl"] = (in_namespace(os.path.join(host, "sys"), "mdevctl types --dumpjson"), None)
        commands["floor"] = ([sys.executable, "-c", floor_script(), host], None)
        rows.append((parents * 20, side_by_side(commands, runs)))
    names = [name for name, _collections in versions]
    for label, column in (("wall", 0), ("CPU", 1)):
        print("\n%s seconds, median of %d runs:\n" % (label, runs))
        print("| types | %s | mdevctl types | floor | %s |" % (
            " | ".join(names), " | ".join("%s / mdevctl | %s / floor" % (name, name) for name in names)))
        print("|---" * (3 + 3 * len(names)) + "|")
        for types, med in rows:
            sec = {name: med[name][column] for name in med}
            print("| %d | %s | %.3f | %.3f | %s |" % (
                types, " | ".join("%.3f" % sec[name] for name in names), sec["mdevctl"], sec["floor"],
                " | ".join("%.2fx | %.2fx" % (sec[name] / sec["mdevctl"], sec[name] / sec["floor"]) for name in names)))
    (small, first), (large, last) = rows[0], rows[-1]
    print("\nMarginal cost per type, the slope from %d to %d types (microseconds per type):\n" % (small, large))
    print("| seconds | %s | mdevctl types | floor | %s |" % (" | ".join(names), " | ".join("%s / floor" % n for n in names)))
    print("|---" * (3 + 2 * len(names)) + "|")
    for label, column in (("wall", 0), ("CPU", 1)):
        slope = {name: (last[name][column] - first[name][column]) / (large - small) * 1e6 for name in last}
        print("| %s | %s | %.0f | %.0f | %s |" % (
            label, " | ".join("%.0f" % slope[name] for name in names), slope["mdevctl"], slope["floor"],
            " | ".join("%.2fx" % (slope[name] / slope["floor"]) for name in names)))
    in_process(base, versions, runs)
    return os.path.join(base, "p%d" % SIZES[-1], "sys"), large


IN_PROCESS = """
import sys, time
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts import gather_facts
start = time.process_time()
gather_facts(sys.argv[1] + "/sys", %r, host_root=sys.argv[1])
print(time.process_time() - start)
""" % (SUBSET,)


def in_process(base, versions, runs):
    """The slope of the gathering alone (CPU seconds inside the process, no interpreter start,
    no AnsibleModule, no result to write) against the floor's reads, timed the same way."""
    floor = "import sys, time\nstart = time.process_time()\n%s\nprint(time.process_time() - start)\n" % floor_script()
    slopes = {}
    for name, collections in versions + [("floor", None)]:
        seconds = []
        for parents in (SIZES[0], SIZES[-1]):
            host = os.path.join(base, "p%d" % parents)
            code, env = (floor, None) if collections is None else (IN_PROCESS, dict(os.environ, PYTHONPATH=collections))
            seconds.append(statistics.median(
                float(subprocess.run([sys.executable, "-c", code, host], check=True, env=env, stdout=subprocess.PIPE,
                                     universal_newlines=True).stdout) for _run in range(runs)))
        slopes[name] = (seconds[1] - seconds[0]) / ((SIZES[-1] - SIZES[0]) * 20) * 1e6
    names = [name for name, _collections in versions]
    print("\nThe same slope inside the process (CPU microseconds per type; the gathering against the floor's reads):\n")
    print("| %s | floor | %s |" % (" | ".join(names), " | ".join("%s / floor" % n for n in names)))
    print("|---" * (1 + 2 * len(names)) + "|")
    print("| %s | %.0f | %s |" % (" | ".join("%.0f" % slopes[n] for n in names), slopes["floor"],
                                  " | ".join("%.2fx" % (slopes[n] / slopes["floor"]) for n in names)))


def task_level(tree, types, versions, runs, base):
    replay = os.path.join(base, "replay.json")
    with open(replay, "w") as handle:
        # what mdev_facts returns on this tree, read where the play will read it (at /sys)
        args = os.path.join(base, "args-replay.json")
        with open(args, "w") as args_handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"gather_subset": SUBSET}}, args_handle)
        subprocess.run(in_namespace(tree, "%s -m %s %s" % (sys.executable, MODULE, args)), check=True, stdout=handle,
                       env=dict(os.environ, PYTHONPATH=versions[0][1]))
    playbook = os.path.join(HERE, "gather_task.yml")
    seconds_file = os.path.join(base, "task-seconds")
    plays = {}
    for name, collections in versions:
        plays[name] = (collections, ["-e", "bench_task=mdev_facts"])
    plays["mdevctl"] = (versions[0][1], ["-e", "bench_task=mdevctl"])
    plays["%s, every subset" % versions[0][0]] = (
        versions[0][1], ["-e", "bench_task=mdev_facts", "-e", '{"bench_subset": ["all"]}'])
    plays["replay"] = (versions[0][1], ["-e", "bench_task=replay", "-e", "bench_replay=" + replay])
    task = {name: [] for name in plays}
    play = {name: [] for name in plays}
    for _run in range(runs):
        for name, (collections, extra) in plays.items():
            if os.path.exists(seconds_file):
                os.unlink(seconds_file)
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, BENCH_TASK_SECONDS=seconds_file,
                       ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
                       ANSIBLE_CALLBACKS_ENABLED="task_seconds", ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
            command = " ".join(["ansible-playbook", playbook] + ["'%s'" % arg for arg in extra])
            play[name].append(timed(in_namespace(tree, command), env)[0])
            with open(seconds_file) as handle:
                lines = handle.read().splitlines()
            if len(lines) != 1:
                sys.exit("%s: expected the seconds of one task, got %r" % (name, lines))
            task[name].append(float(lines[0].split("\t")[1]))
    print("\nTask level, %d types, in ansible-playbook (the task alone, and the whole play):\n" % types)
    print("| task | task (s) | task / mdevctl task | play (s) | play / mdevctl play |")
    print("|---|---|---|---|---|")
    t_ref, p_ref = statistics.median(task["mdevctl"]), statistics.median(play["mdevctl"])
    for name in plays:
        t_med, p_med = statistics.median(task[name]), statistics.median(play[name])
        label = {"mdevctl": "command: mdevctl types --dumpjson",
                 "replay": "the same facts, replayed (no gathering)"}.get(name, "mdev_facts (%s)" % name)
        print("| %s | %.3f | %.2fx | %.2f | %.2fx |" % (label, t_med, t_med / t_ref, p_med, p_med / p_ref))


def main():
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":")[0]
    if not collections:
        sys.exit("set ANSIBLE_COLLECTIONS_PATH to the directory holding ansible_collections/vfio/mdev_migration")
    versions = [("after", collections)]
    before = os.environ.get("BENCH_BEFORE")
    if before:
        if not os.path.isdir(os.path.join(before, "ansible_collections", "vfio", "mdev_migration")):
            sys.exit("BENCH_BEFORE %r holds no ansible_collections/vfio/mdev_migration" % before)
        versions.append(("before", before))
    else:
        versions[0] = ("mdev_facts", collections)
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    base = tempfile.mkdtemp(prefix="mdev-bench-")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", base], check=True)
    cwd = os.getcwd()
    # Python puts the working directory first on sys.path (python -m, python -c): an
    # ansible_collections directory there would be imported instead of the ones named here.
    os.chdir(base)
    try:
        tree, types = process_level(base, versions, runs)
        task_level(tree, types, versions, runs, base)
    finally:
        os.chdir(cwd)
        subprocess.run(["umount", base], check=False)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
