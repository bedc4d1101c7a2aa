#!/usr/bin/env python
"""Evacuation plan at scale: evacuation_plan of every VM of one host over N candidate hosts.

Not a test: prints timings measured side by side in one run (median of BENCH_RUNS runs, default 3)
and the peak memory of the plan call. The floor, in the same run, is one migration_targets pass
(vm=<one VM>, details=True) over the same candidates: the plan judges every candidate for each kind
of VM and then places the VMs one by one, so it is reported as a multiple of that pass.
Run from a collections path that holds the collection:
    PYTHONPATH=... python tests/benchmarks/bench_evacuation.py            # 1000 VMs over 10000 hosts
    PYTHONPATH=... python tests/benchmarks/bench_evacuation.py 100 1000   # VMS HOSTS
    PYTHONPATH=... python tests/benchmarks/bench_evacuation.py 100x1000 1000x10000   # several sizes

The generated fleet (facts in the shape mdev_facts returns, tests/unit/plugins/fleet_facts.py):
- source host ``src``, libvirt subset gathered: VMS running VMs, 80% holding one mdev and 20% two,
  of nvidia-222/223/224 (T4 parents, NVIDIA 550.54.10) and i915-GVTg_V5_4 (Intel iGPU parents),
  every type publishing a migration version; a few VMs also hold another host device (a VM that
  cannot be judged);
- HOSTS candidates ``gpu00000``..: two T4 parents with eight NVIDIA types each (one in 500 hosts has
  an i915 iGPU instead of its second T4), libvirt subset gathered. About a third of the T4 parents
  hold 1 to 4 devices of one type (held by running domains), so they take that type only; half of
  the iGPUs hold devices of two types (mixed). Versions are the source's on most hosts; one host in
  20 runs another driver (another version: unknown without a probe), one in 33 a driver that
  publishes no version (unknown); one in 250 has no facts; one in 50 has mdevctl start:auto
  definitions (same type or another) that reserve instances.
"""
import functools
import gc
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc

from ansible_collections.vfio.mdev_migration.plugins.filter.evacuation_plan import FilterModule as PlanFilters
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule as TargetFilters
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    device,
    facts,
    migration,
    mtype,
    parent,
    with_definitions,
    with_vms,
)

SOURCE = "src"
DRIVER = "550.54.10"
KERNEL = "6.8.0-51-generic"
T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}
IGPU = {"vendor_id": "8086", "device_id": "3e92", "subsystem_vendor_id": "1028", "subsystem_device_id": "0869",
        "revision": "02"}
# T4 time-sliced vGPU types: type-id -> (name, instances on an empty GPU).
NVIDIA_TYPES = {"nvidia-222": ("GRID T4-1B", 16), "nvidia-223": ("GRID T4-2B", 8), "nvidia-224": ("GRID T4-2B4", 8),
                "nvidia-225": ("GRID T4-1A", 16), "nvidia-226": ("GRID T4-2A", 8), "nvidia-227": ("GRID T4-4A", 4),
                "nvidia-228": ("GRID T4-8A", 2), "nvidia-229": ("GRID T4-16A", 1)}
# GVT-g types of an Intel iGPU: instances on an empty iGPU (the kernel lets them mix).
I915_TYPES = {"i915-GVTg_V5_4": 2, "i915-GVTg_V5_8": 4}
I915 = "i915-GVTg_V5_4"
# What the source's VMs hold: one device of a type (80%), or two (20%).
SINGLE = [("nvidia-222",)] * 44 + [("nvidia-223",)] * 24 + [("nvidia-224",)] * 16 + [(I915,)] * 3
DOUBLE = [("nvidia-222", "nvidia-222")] * 8 + [("nvidia-223", "nvidia-224")] * 6 + [("nvidia-224", "nvidia-224")] * 4 \
    + [("nvidia-222", "nvidia-223")] * 2


def nvidia_version(type_id, driver):
    return "10de-1eb8-%s-%s" % (type_id, driver)


def i915_version(type_id, kernel):
    return "8086-3e92-%s-%s" % (type_id, kernel)


def t4_parent(driver=DRIVER, held=None, count=0, versions=True):
    """A T4 as mdev_facts shows it: with ``count`` devices of ``held``, the other types read 0 free."""
    types = {}
    for type_id, (name, instances) in NVIDIA_TYPES.items():
        free = instances - count if type_id == held else (0 if held else instances)
        types[type_id] = mtype(free, nvidia_version(type_id, driver) if versions else None, name=name)
    return parent(types, pci=T4, driver="nvidia", driver_version=driver, driver_module="nvidia")


def igpu_parent(kernel=KERNEL, held=()):
    """An iGPU: ``held`` is a list of type-ids, one per device; GVT-g types mix on one iGPU."""
    types = {}
    for type_id, instances in I915_TYPES.items():
        used = sum(1.0 / I915_TYPES[t] for t in held)
        types[type_id] = mtype(int(instances * (1 - used) + 1e-9), i915_version(type_id, kernel), name=type_id)
    return parent(types, pci=IGPU, driver="i915", driver_version=None, driver_module="i915", driver_in_tree=True)


def source_host(vms, rng):
    """The host to drain: ``vms`` running VMs and the parents that hold their devices."""
    parents, devices, domains = {}, {}, {}
    slots = {}          # type-id -> (parent, devices held)
    serial = [0]

    def place(type_id):
        name, held = slots.get(type_id, (None, 0))
        capacity = I915_TYPES[type_id] if type_id in I915_TYPES else NVIDIA_TYPES[type_id][1]
        if name is None or held == capacity:
            serial[0] += 1
            name = "%04x:%02x:%02x.%d" % (serial[0] // 8192, serial[0] // 32 % 256, serial[0] % 32,
                                          2 if type_id in I915_TYPES else 0)
            held = 0
        slots[type_id] = (name, held + 1)
        return name

    members = {}
    for index in range(vms):
        kinds = rng.choice(DOUBLE) if rng.random() < 0.2 else rng.choice(SINGLE)
        uuids = []
        for k, type_id in enumerate(kinds):
            uuid = "5eed%04x-%04x-4000-8000-%012x" % (index // 0x10000, index % 0x10000, k)
            where = place(type_id)
            devices[uuid] = device(where, type_id, mig=migration())
            members.setdefault(where, []).append((uuid, type_id))
            uuids.append(uuid)
        domains["vm%05d" % index] = (True, uuids)
    for name, held in members.items():
        type_id = held[0][1]
        if type_id in I915_TYPES:
            parents[name] = igpu_parent(held=[t for _u, t in held])
        else:
            parents[name] = t4_parent(held=type_id, count=len(held))
        for uuid, t in held:
            parents[name]["types"][t]["devices"].append(uuid)
    host = with_vms(facts(parents=parents, devices=devices, kernel=KERNEL), **domains)
    for index in range(7, vms, 250):        # a passthrough NIC beside the mdevs: cannot be judged
        host["domains"]["vm%05d" % index]["other_hostdevs"] = ["0000:5e:00.%d" % (index % 8)]
    return host


def candidate(h, rng):
    """The facts of candidate ``h`` (None: a host without facts)."""
    if h % 250 == 3:
        return None
    driver, versions, kernel = DRIVER, True, KERNEL
    if h % 20 == 5:
        driver, kernel = "550.90.07", "6.8.0-60-generic"
    elif h % 33 == 7:
        driver, versions = "535.154.05", False
    parents, devices, domains = {}, {}, {}
    names = ["0000:3b:00.0", "0000:00:02.0" if h % 500 == 11 else "0000:af:00.0"]
    for name in names:
        if name == "0000:00:02.0":
            held = [I915, "i915-GVTg_V5_8"] if h % 1000 == 11 else []
            parents[name] = igpu_parent(kernel, held)
        else:
            held = rng.choice(list(NVIDIA_TYPES)) if rng.random() < 0.35 else None
            count = min(rng.randint(1, 4), NVIDIA_TYPES[held][1]) if held else 0
            parents[name] = t4_parent(driver, held, count, versions)
            held = [held] * count
        for type_id in held:
            uuid = "%08x-1111-4000-8000-%012x" % (h, len(devices))
            devices[uuid] = device(name, type_id, mig=migration())
            parents[name]["types"][type_id]["devices"].append(uuid)
            domains["g%05d-vm%d" % (h, len(domains))] = (True, [uuid])
    host = with_vms(facts(parents=parents, devices=devices, kernel=kernel), **domains)
    if h % 50 == 13:
        # Two definitions that start at boot and are not active now, and one manual one.
        other = "nvidia-222" if h % 100 == 13 else "nvidia-225"
        host = with_definitions(host, a=("0000:af:00.0", "nvidia-222", "auto", False),
                                b=("0000:3b:00.0", other, "auto", False),
                                c=("0000:3b:00.0", "nvidia-223", "manual", False))
    return host


def fleet(vms, hosts, seed=20261127):
    """hostvars-shaped input and the candidate names."""
    rng = random.Random(seed)
    data = {SOURCE: {"ansible_facts": {"mdev": source_host(vms, rng)}}}
    names = []
    for h in range(hosts):
        name = "gpu%05d" % h
        host = candidate(h, rng)
        data[name] = {"ansible_facts": {"mdev": host}} if host is not None else {"inventory_hostname": name}
        names.append(name)
    return data, names


def median_times(funcs, runs):
    """``{name: (median seconds, last result)}``; each round runs every function once, so that a
    change of load on the machine falls on all of them alike. The functions return small results:
    no plan is kept alive while the next one runs."""
    times, results = dict((name, []) for name in funcs), {}
    for _run in range(runs):
        for name, func in funcs.items():
            gc.collect()
            start = time.perf_counter()
            results[name] = func()
            times[name].append(time.perf_counter() - start)
    return dict((name, (statistics.median(times[name]), results[name])) for name in funcs)


def plan_summary(plan, data, candidates, strategy):
    return plan(data, SOURCE, candidates=candidates, strategy=strategy)["summary"]


def selection_summary(targets, data, vm, candidates):
    """``(selected, judged)`` of one migration_targets pass for ``vm``."""
    records = targets(data, vm=vm, candidates=candidates, details=True)
    return sum(1 for r in records if r["selected"]), len(records)


def traced_peak(func):
    """Peak memory (MiB) that ``func`` allocates while it runs (tracemalloc; the input is not counted)."""
    gc.collect()
    tracemalloc.start()
    result = func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak / 2.0 ** 20


def maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sizes_of(argv):
    """``[(vms, hosts)]``: ``VMS HOSTS`` or ``VMSxHOSTS ...``; default 1000 x 10000."""
    if not argv:
        return [(1000, 10000)]
    if all("x" in a for a in argv):
        return [tuple(int(n) for n in a.split("x")) for a in argv]
    if len(argv) == 2:
        return [(int(argv[0]), int(argv[1]))]
    sys.exit("usage: bench_evacuation.py [VMS HOSTS | VMSxHOSTS ...]")


def main():
    plan = PlanFilters().filters()["evacuation_plan"]
    targets = TargetFilters().filters()["migration_targets"]
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    rows, notes = [], []
    for vms, hosts in sizes_of(sys.argv[1:]):
        data, candidates = fleet(vms, hosts)
        one_vm = "vm00000"
        rss_before = maxrss_mib()
        timed = median_times({
            "pass": functools.partial(selection_summary, targets, data, one_vm, candidates),
            "spread": functools.partial(plan_summary, plan, data, candidates, "spread"),
            "pack": functools.partial(plan_summary, plan, data, candidates, "pack"),
        }, runs)
        rss_after = maxrss_mib()
        t_pass, (selected, judged) = timed["pass"]
        for strategy in ("spread", "pack"):
            t_plan, summary = timed[strategy]
            peak = traced_peak(functools.partial(plan, data, SOURCE, candidates=candidates, strategy=strategy))
            rows.append("| %d | %d | %s | %.2f | %.3f | %.1fx | %.0f | %d | %d |" % (
                vms, hosts, strategy, t_plan, t_pass, t_plan / t_pass, peak, summary["placed"], summary["unplaced"]))
        devices = sum(len(d["mdevs"]) for d in data[SOURCE]["ansible_facts"]["mdev"]["domains"].values())
        notes.append("%d VMs (%d mdevs) over %d hosts: one migration_targets pass selects %d of %d; process peak "
                     "RSS %.0f MiB before the plans, %.0f MiB after (%d runs each)" % (
                         vms, devices, hosts, selected, judged, rss_before, rss_after, runs))
        del data, candidates, timed
    print("| VMs | hosts | strategy | plan (s) | one migration_targets pass (s) | ratio | peak MiB | placed "
          "| unplaced |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
