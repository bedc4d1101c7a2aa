#!/usr/bin/env python
"""Gather at scale: mdev_facts as a process vs mdevctl vs the floor (a process that only reads the files).

Not a test. Builds plain trees on tmpfs (128 parents x 20 types = 2,560 types at the top size,
some types with a version attribute, some created devices), then times, side by side in one run,
the median of several runs of:
  - mdev_facts run as a process (python -m, no ansible-playbook), reading the tree via sysfs_root;
  - mdevctl types --dumpjson, in a private mount namespace with the tree bind-mounted at /sys;
  - the floor: one Python process that opens and reads every file mdev_facts reads.
Prints a Markdown table of seconds and ratios. Needs root (unshare -m, mount) and mdevctl.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from mdev_sim.model import HostModel  # noqa: E402 pylint: disable=import-error,wrong-import-position


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


def floor_script(tree):
    """Read exactly the files the facts module reads, nothing else."""
    return r'''
import os, sys
root = sys.argv[1]
def read(p):
    try:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.read(fd, 4097)
        finally:
            os.close(fd)
    except OSError:
        pass
bus = os.path.join(root, "class/mdev_bus")
for parent in sorted(os.listdir(bus)):
    d = os.path.realpath(os.path.join(bus, parent))
    for f in ("vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "numa_node"):
        read(os.path.join(d, f))
    os.readlink(os.path.join(d, "driver"))
    tdir = os.path.join(d, "mdev_supported_types")
    for t in sorted(os.listdir(tdir)):
        for f in ("name", "description", "device_api", "available_instances", "migration_version"):
            read(os.path.join(tdir, t, f))
        os.listdir(os.path.join(tdir, t, "devices"))
read(os.path.join(root, "module/nvidia/version"))
for u in sorted(os.listdir(os.path.join(root, "bus/mdev/devices"))):
    os.readlink(os.path.join(root, "bus/mdev/devices", u, "mdev_type"))
'''


def timed(cmd, runs, env=None):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":")[0]
    if not collections:
        sys.exit("set ANSIBLE_COLLECTIONS_PATH to the directory holding ansible_collections/vfio/mdev_migration")
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    base = tempfile.mkdtemp(prefix="mdev-bench-")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", base], check=True)
    try:
        rows = []
        env = dict(os.environ, PYTHONPATH=collections)
        for parents in (8, 32, 128):
            tree = os.path.join(base, "p%d" % parents)
            HostModel("bench", host_spec(parents, 20)).materialize(tree)
            args = os.path.join(base, "args-%d.json" % parents)
            with open(args, "w") as handle:
                json.dump({"ANSIBLE_MODULE_ARGS": {"sysfs_root": tree}}, handle)
            module = [sys.executable, "-m", "ansible_collections.vfio.mdev_migration.plugins.modules.mdev_facts", args]
            mdevctl = ["unshare", "-m", "sh", "-c", "mount --bind %s /sys && mdevctl types --dumpjson" % tree]
            floor = [sys.executable, "-c", floor_script(tree), tree]
            t_module = timed(module, runs, env)
            t_mdevctl = timed(mdevctl, runs)
            t_floor = timed(floor, runs)
            rows.append((parents * 20, t_module, t_mdevctl, t_floor))
        print("| types | mdev_facts (s) | mdevctl types (s) | floor (s) | facts / mdevctl | facts / floor |")
        print("|---|---|---|---|---|---|")
        for types, t_module, t_mdevctl, t_floor in rows:
            row = (types, t_module, t_mdevctl, t_floor, t_module / t_mdevctl, t_module / t_floor)
            print("| %d | %.3f | %.3f | %.3f | %.2fx | %.2fx |" % row)
        small, large = rows[0], rows[-1]
        print("\ngrowth from %d to %d types (x%d): mdev_facts x%.1f, mdevctl x%.1f, floor x%.1f"
              % (small[0], large[0], large[0] // small[0], large[1] / small[1], large[2] / small[2],
                 large[3] / small[3]))
    finally:
        subprocess.run(["umount", base], check=False)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
