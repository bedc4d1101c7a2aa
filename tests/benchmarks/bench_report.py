#!/usr/bin/env python
"""The HTML audit report of a large fleet: build and render times, and how fast Chromium opens it.

Not a test: prints a table. For each size it generates the mdev facts of a fleet (several boards,
types and driver versions, version drift, devices in use, hosts without facts or with read errors),
builds the report, renders it, and loads the page in headless Chromium until the page's script has
set up its tables (``data-report-ready`` on <html>), with Playwright if it is installed, otherwise
Chromium's --dump-dom:

    PYTHONPATH=<dir holding ansible_collections/> python tests/benchmarks/bench_report.py 10000 100000
    python tests/benchmarks/bench_report.py --write /tmp/fleet.html 500   # one page to look at
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import render_html

BOARDS = [  # (device id, subsystem, types)
    ("1eb8", "12a2", ["nvidia-222", "nvidia-223", "nvidia-224", "nvidia-225"]),      # T4
    ("20b5", "1533", ["nvidia-471", "nvidia-472", "nvidia-473"]),                    # A100
    ("2236", "1482", ["nvidia-690", "nvidia-691", "nvidia-692", "nvidia-693"]),      # A10
]
DRIVERS = ["550.54.10", "550.54.10", "550.54.10", "550.90.07"]   # one host in four runs a newer driver
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def host_facts(index):
    """The mdev facts of host ``index``: deterministic, varied."""
    if index % 97 == 13:
        return None                                    # unreachable
    device_id, subsystem, type_ids = BOARDS[index % len(BOARDS)]
    driver = DRIVERS[(index // 3) % len(DRIVERS)]
    pci = {"vendor_id": "10de", "device_id": device_id, "subsystem_vendor_id": "10de",
           "subsystem_device_id": subsystem, "revision": "a1"}
    parents, devices = {}, {}
    for gpu in range(2):
        pname = "0000:%02x:00.0" % (0x3b + gpu * 0x40)
        types = {}
        for t, type_id in enumerate(type_ids):
            versioned = device_id != "2236"            # A10 hosts publish no version: identity policy
            version = "10de-%s-%s-%s" % (device_id, type_id, driver) if versioned else None
            used = [] if (index + t + gpu) % 5 else ["%08x-0000-4000-8000-%012x" % (index, t * 2 + gpu)]
            types[type_id] = {
                "name": "GPU-%dQ" % (2 ** t), "description": None, "device_api": "vfio-pci",
                "available_instances": 0 if used and index % 11 == 0 else (index * 7 + t) % 4,
                "devices": used,
                "migration": {"attribute": "migration_version" if versioned else None, "version": version,
                              "supported": True if versioned else None, "errno": None}}
            for uuid in used:
                devices[uuid] = {"parent": pname, "type_id": type_id,
                                 "migration": {"attribute": None, "version": None, "supported": None, "errno": None}}
        parents[pname] = {"bus": "pci", "driver": "nvidia", "driver_version": driver, "pci": pci, "numa_node": gpu,
                          "types": types}
    errors = []
    if index % 89 == 7:
        errors.append({"path": "/sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/%s/available_instances"
                       % type_ids[0], "errno": "EIO", "message": "Input/output error"})
    return {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": "6.8.0-%d-generic" % (40 + index % 3),
            "gather_subset": ["devices", "pci", "types", "vendor_vfio", "versions"],
            "parents": parents, "devices": devices, "vendor_vfio": {}, "errors": errors}


def make_fleet(hosts):
    return dict(("gpu%06d" % i, host_facts(i)) for i in range(hosts))


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium is not installed")


def load_playwright(url):
    """Seconds from navigation to the ready marker, as the page measures it, wall time, and the
    seconds a sort (click on the host column's header) and a filter (text typed) of the hosts table take."""
    from playwright.sync_api import sync_playwright  # pylint: disable=import-outside-toplevel
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile, executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS[1:])
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=300000)
            page.wait_for_selector("html[data-report-ready]", state="attached", timeout=300000)
            wall = time.perf_counter() - start
            in_page = page.evaluate("window.reportReadyAt") / 1000.0
            start = time.perf_counter()
            page.click("#table-hosts thead th")
            page.click("#table-hosts thead th")
            page.wait_for_selector("#table-hosts th[aria-sort=descending]")
            sort = (time.perf_counter() - start) / 2
            start = time.perf_counter()
            page.fill("#hosts input.filter", "gpu00001")
            page.wait_for_function("document.querySelectorAll('#table-hosts tbody tr').length <= 100 && "
                                   "document.querySelector('#hosts .tools .count').textContent.includes('filtered')")
            typed = time.perf_counter() - start
            browser.close()
        return in_page, wall, sort, typed
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def load_dump_dom(url):
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    try:
        start = time.perf_counter()
        out = subprocess.run([chromium_path()] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, "--dump-dom", url],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True, timeout=600).stdout
        wall = time.perf_counter() - start
        assert b"data-report-ready" in out, "the page's script did not finish"
        return None, wall, None, None
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _secs(value):
    return "-" if value is None else "%.2f" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    parser.add_argument("--write", help="write the HTML of the (single) size here and stop")
    args = parser.parse_args()
    try:
        import playwright  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
        load = load_playwright
    except ImportError:
        load = load_dump_dom
    print("| hosts | build (s) | render (s) | HTML (MB) | Chromium load to ready, in page (s) | wall (s) "
          "| sort hosts (s) | filter hosts (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        fleet = make_fleet(size)
        start = time.perf_counter()
        report = build_report(fleet, None, "2026-11-27T00:00:00Z")
        built = time.perf_counter() - start
        start = time.perf_counter()
        page = render_html(report)
        rendered = time.perf_counter() - start
        if args.write:
            with open(args.write, "w") as handle:
                handle.write(page)
            return
        workdir = tempfile.mkdtemp(prefix="bench-report-")
        try:
            path = os.path.join(workdir, "report.html")
            with open(path, "w") as handle:
                handle.write(page)
            in_page, wall, sort, typed = load("file://" + path)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print("| %d | %.1f | %.1f | %.1f | %s | %.2f | %s | %s |" % (
            size, built, rendered, len(page.encode("utf-8")) / 1e6, _secs(in_page), wall, _secs(sort), _secs(typed)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
