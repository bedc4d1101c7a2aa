#!/usr/bin/env python
"""A simulated fleet with mixed drivers, versions and capacity, for the concurrency test and the gate benchmark.

    python make_fleet.py FLEET.yml [HOSTS]    # HOSTS defaults to 50 (h00..h49); h01 holds the source device
"""
import sys

import yaml

T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50
if count < 2:
    sys.exit("make_fleet.py: HOSTS must be 2 or more (h01 is the source)")
hosts = {}
for i in range(count):
    driver = ["550.54.10", "550.90.07"][i % 3 == 0]
    version = "10de-1eb8-nvidia-222-%s" % driver
    mtype = {"name": "GRID T4-2Q", "available_instances": (i * 7) % 5}
    if i % 5 != 4:
        accepts = ["10de-1eb8-nvidia-222-550.54.10"] if i % 6 == 0 else []
        mtype["migration"] = {"attribute": "migration_version", "version": version, "accepts": accepts}
    parent = {"pci": T4, "driver": "nvidia", "driver_version": driver, "numa_node": i % 2,
              "types": {"nvidia-222": mtype}}
    hosts["h%02d" % i] = {"kernel_release": "6.8.0-51-generic", "parents": {"0000:3b:00.0": parent}}
hosts["h01"]["devices"] = {"6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01": {"parent": "0000:3b:00.0", "type": "nvidia-222"}}
with open(sys.argv[1], "w") as handle:
    yaml.safe_dump({"fleet_format": 1, "hosts": hosts}, handle)
