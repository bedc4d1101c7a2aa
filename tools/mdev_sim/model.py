# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One simulated host: the kernel's mdev sysfs layout and semantics, built from a fleet description.

The model is independent of FUSE: ``HostModel`` answers lookup/read/write/readdir/readlink
calls with bytes or an ``OSError`` carrying the errno the kernel would give, and ``FuseOps``
(``fusefs.py``) only forwards to it. ``materialize`` writes the same tree as plain files.
"""

import errno
import fnmatch
import json
import os
import re
import threading
import time
import uuid as uuidlib
from xml.sax.saxutils import escape as xml_escape

import yaml

from .lifecycle import Lifecycle

FLEET_FORMAT = 1
SYS = "sys"                 # the sysfs tree inside each host root
PCI_ROOT = "devices/pci0000:00"
VERSION_ATTRS = ("migration_version", "version")
MAX_VERSION_BYTES = 4096
OPS = ("getattr", "readdir", "readlink", "open", "read", "write", "any")
# Files of the host root outside sysfs that libvirt and mdevctl read.
LIBVIRT_NODE_FILE = "etc/libvirt/mdev-sim.xml"
# libvirt's test driver reads runstate and transient only in exactly this namespace.
LIBVIRT_TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
RUNSTATES = {"running": 1, "paused": 3, "shutoff": 5}     # virDomainState numbers
ACTIVE_STATES = ("running", "paused")
DOMAIN_MEMORY_KIB = 4194304
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
PCI_ADDRESS_RE = re.compile(r"([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])\Z")


class FleetError(ValueError):
    """The fleet description is malformed; the message names the offending key."""


def _err(code):
    return OSError(code, os.strerror(code))


def _errno_number(name, where):
    code = getattr(errno, str(name), None)
    if not isinstance(code, int):
        raise FleetError("%s: unknown errno name %r" % (where, name))
    return code


class Attr:
    """A sysfs attribute: how it reads and how it takes a write."""

    def __init__(self, value=None, mode=0o444, on_write=None, read_errno=None, exact_size=False):
        self.value = value          # str, bytes or a callable returning either
        self.mode = mode
        self.on_write = on_write    # callable(bytes) -> int, or None for read-only
        self.read_errno = read_errno
        # sysfs attributes stat as 4096 bytes whatever they hold; a configuration file on a
        # real file system (etc/libvirt, etc/mdevctl.d) stats as its length.
        self.exact_size = exact_size

    def content(self):
        if self.read_errno:
            raise _err(self.read_errno)
        value = self.value() if callable(self.value) else self.value
        if isinstance(value, bytes):
            return value
        return ("%s\n" % value).encode("utf-8")


class Fault:
    def __init__(self, spec, where):
        if not isinstance(spec, dict) or "path" not in spec:
            raise FleetError("%s: a fault needs at least a 'path'" % where)
        # A relative path is in the sysfs tree (sys/ of the host root); an absolute one is in the
        # host root (/proc/sys/kernel/osrelease, /etc/machine-id, /sys/...).
        path = str(spec["path"])
        self.path = path.strip("/") if path.startswith("/") else "%s/%s" % (SYS, path.strip("/"))
        # An errno fault fails reads by default: the attribute is listed and stat()s like a
        # real one, as sysfs attributes whose show() fails do.
        self.op = spec.get("op", "read")
        if self.op not in OPS:
            raise FleetError("%s: op %r is not one of %s" % (where, self.op, ", ".join(OPS)))
        self.errno = _errno_number(spec["errno"], where) if spec.get("errno") else None
        self.after = int(spec.get("after", 0))
        self.until = spec.get("until")      # with vanish: gone for the first N calls, then there
        self.delay = float(spec.get("delay", 0))
        self.vanish = bool(spec.get("vanish", False))
        self.short_write = spec.get("short_write")
        self.link_to = spec.get("link_to")       # readlink answers this instead (dangling, escaping)
        if self.link_to is not None and "op" not in spec:
            self.op = "readlink"
        self.value = None
        if "value_hex" in spec:
            self.value = bytes.fromhex(str(spec["value_hex"]))
        elif "value_repeat" in spec:
            rep = spec["value_repeat"]
            self.value = str(rep.get("char", "a")).encode("utf-8") * int(rep["count"])
        elif "value" in spec:
            self.value = str(spec["value"]).encode("utf-8")
        self.calls = 0
        self.lock = threading.Lock()

    def matches(self, path, op):
        if self.vanish:
            # Listed by readdir, gone for everything else.
            return op != "readdir" and fnmatch.fnmatchcase(path, self.path)
        return (self.op in ("any", op)) and fnmatch.fnmatchcase(path, self.path)

    def armed(self):
        """Count a matching call; True once ``after`` calls have gone through unharmed (and, with
        ``until``, only for the first ``until`` calls: an entry that appears)."""
        with self.lock:
            self.calls += 1
            if self.until is not None:
                return self.calls <= int(self.until)
            return self.calls > self.after


def _pci_files(ident, numa_node):
    files = {}
    for key, name in (("vendor_id", "vendor"), ("device_id", "device"),
                      ("subsystem_vendor_id", "subsystem_vendor"), ("subsystem_device_id", "subsystem_device")):
        files[name] = "0x%s" % str(ident.get(key, "0000")).lower()
    files["revision"] = "0x%s" % str(ident.get("revision", "00")).lower()
    files["numa_node"] = str(numa_node if numa_node is not None else -1)
    return files


class HostModel(Lifecycle):
    """The sysfs tree of one simulated host, with the kernel's semantics and injected faults."""

    def __init__(self, name, spec, write_log=None, fleet=None):
        if not isinstance(spec, dict):
            raise FleetError("hosts.%s: must be a mapping" % name)
        check_host(name, spec, fleet)
        self.name = name
        # An alias is the other machine: its domains keep the identities derived from that name.
        self.machine = spec.get("alias_of") or name
        self.spec = resolve_alias(name, spec, fleet)
        spec = self.spec
        self.write_log = write_log
        self.lock = threading.RLock()
        self.faults = [Fault(f, "hosts.%s.faults[%d]" % (name, i)) for i, f in enumerate(spec.get("faults") or [])]
        self.state = {}         # (parent, type) -> {"available": int, "devices": [uuid]}
        self.devices = {}       # uuid -> {"parent", "type", "migration"}
        self._init_state()
        self._init_mdevctl()
        self.build()
        for fault in self.faults:
            # Faults may name a path through links (class/mdev_bus/...); FUSE sees only the
            # resolved path, so resolve plain paths once here. Glob patterns match resolved paths.
            if not any(c in fault.path for c in "*?["):
                # Resolve the directories only: a fault on a link itself (link_to, vanish) must
                # stay on the link, which is what FUSE's readlink and getattr are called with.
                head, tail = os.path.split(fault.path)
                fault.path = "/".join(p for p in (self.canonical(head), tail) if p)

    # -- description -> state --------------------------------------------------------------

    def _init_state(self):
        for pname, parent in (self.spec.get("parents") or {}).items():
            for tid, t in ((parent or {}).get("types") or {}).items():
                self.state[(pname, tid)] = {"available": int(t.get("available_instances", 0)), "devices": []}
        for uuid, dev in (self.spec.get("devices") or {}).items():
            where = "hosts.%s.devices.%s" % (self.name, uuid)
            if not isinstance(dev, dict) or "parent" not in dev or "type" not in dev:
                raise FleetError("%s: needs 'parent' and 'type'" % where)
            key = (dev["parent"], dev["type"])
            if key not in self.state:
                raise FleetError("%s: parent %r has no type %r" % (where, dev["parent"], dev["type"]))
            self.state[key]["devices"].append(str(uuid))
            self.devices[str(uuid)] = {"parent": dev["parent"], "type": dev["type"], "migration": dev.get("migration")}

    def parent_dir(self, pname, parent):
        if (parent or {}).get("bus", "pci") == "pci":
            return "%s/%s" % (PCI_ROOT, pname)
        return "devices/virtual/%s/%s" % ((parent or {}).get("class", pname), pname)

    # -- tree ------------------------------------------------------------------------------

    def build(self):
        """(Re)build the entry table from the current state: a host root with sys/, proc/, etc/."""
        with self.lock:
            self.entries = {"": "dir"}
            self._add_host_file("proc/sys/kernel/osrelease", Attr(str(self.spec.get("kernel_release", "6.8.0-sim"))))
            self._add_host_file("proc/sys/kernel/random/boot_id", Attr(boot_id_of(self.name, self.spec)))
            self._add_host_file("etc/machine-id", Attr(machine_id_of(self.name, self.spec)))
            self._add_dir("class/mdev_bus")
            self._add_dir("bus/mdev/devices")
            self._add_dir("bus/pci/devices")
            for pname, parent in (self.spec.get("parents") or {}).items():
                self._build_parent(str(pname), parent or {})
            gpus = ((self.spec.get("vendor_vfio") or {}).get("gpus") or {})
            for bdf, gpu in gpus.items():
                self._build_gpu(str(bdf), gpu or {})
            self._build_libvirt()
            self._build_mdevctl()

    def _host_dir(self, path):
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            self.entries.setdefault("/".join(parts[:i]), "dir")

    def _add_host_file(self, path, attr):
        """A file of the host root (proc/..., etc/...), outside sysfs."""
        self._host_dir(os.path.dirname(path))
        self.entries[path] = attr

    # The paths below are in the sysfs tree: <host root>/sys/<path>.

    def _add_dir(self, path):
        self._host_dir("%s/%s" % (SYS, path) if path else SYS)

    def _add_file(self, path, attr):
        self._add_dir(os.path.dirname(path))
        self.entries["%s/%s" % (SYS, path)] = attr

    def _add_link(self, path, target):
        self._add_dir(os.path.dirname(path))
        self.entries["%s/%s" % (SYS, path)] = ("link", os.path.relpath(target, os.path.dirname(path)))

    def _driver(self, dev_dir, spec, default_driver=None, bus="pci"):
        """The driver link, its module, the module's version and taint (``O``: out-of-tree)."""
        driver = spec.get("driver", default_driver)
        if not driver:
            return
        version = spec.get("driver_version")
        self._add_link("%s/driver" % dev_dir, "bus/%s/drivers/%s" % (bus, driver))
        self._add_link("bus/%s/drivers/%s/module" % (bus, driver), "module/%s" % driver)
        self._add_dir("module/%s" % driver)
        if version is not None:
            self._add_file("module/%s/version" % driver, Attr(str(version)))
        # A driver with its own version is a vendor's out-of-tree module unless declared otherwise.
        in_tree = spec.get("driver_in_tree", version is None)
        self._add_file("module/%s/taint" % driver, Attr("" if in_tree else "O"))

    def _build_parent(self, pname, parent):
        pdir = self.parent_dir(pname, parent)
        self._add_link("class/mdev_bus/%s" % pname, pdir)
        if parent.get("bus", "pci") == "pci":
            self._add_link("bus/pci/devices/%s" % pname, pdir)
            self._add_link("%s/subsystem" % pdir, "bus/pci")
            self._add_dir("bus/pci/drivers")
            for name, value in _pci_files(parent.get("pci") or {}, parent.get("numa_node")).items():
                self._add_file("%s/%s" % (pdir, name), Attr(value))
            self._driver(pdir, parent)
        else:
            cls = parent.get("class", pname)
            self._add_dir("class/%s" % cls)
            self._add_link("%s/subsystem" % pdir, "class/%s" % cls)
        for tid, t in (parent.get("types") or {}).items():
            self._build_type(pname, pdir, str(tid), t or {})

    def _build_type(self, pname, pdir, tid, t):
        tdir = "%s/mdev_supported_types/%s" % (pdir, tid)
        state = self.state[(pname, tid)]
        self._add_file("%s/name" % tdir, Attr(t.get("name", tid)))
        if t.get("description") is not None:
            self._add_file("%s/description" % tdir, Attr(t["description"]))
        self._add_file("%s/device_api" % tdir, Attr(t.get("device_api", "vfio-pci")))
        self._add_file("%s/available_instances" % tdir, Attr(lambda p=pname, k=tid: str(self.available(p, k))))
        self._add_file("%s/create" % tdir, Attr(None, mode=0o200, on_write=lambda d, p=pname, k=tid: self._create(p, k, d)))
        self._add_dir("%s/devices" % tdir)
        self._version_attr(tdir, t.get("migration"))
        for uuid in state["devices"]:
            ddir = "%s/%s" % (pdir, uuid)
            self._add_link("%s/devices/%s" % (tdir, uuid), ddir)
            self._add_link("bus/mdev/devices/%s" % uuid, ddir)
            self._add_link("%s/mdev_type" % ddir, tdir)
            self._add_file("%s/remove" % ddir, Attr(None, mode=0o200, on_write=lambda d, u=uuid: self._remove(u, d)))
            self._version_attr(ddir, self.devices[uuid].get("migration"))

    def _version_attr(self, where, mig):
        """The RFC's read/write probe attribute, or nothing when the driver has none."""
        if not mig or mig.get("attribute", "migration_version") in (None, "none"):
            return
        attribute = mig.get("attribute", "migration_version")
        if attribute not in VERSION_ATTRS:
            raise FleetError("%s: migration.attribute %r is not one of migration_version, version, none"
                             % (where, attribute))
        supported = mig.get("supported", True)
        own = str(mig.get("version", ""))
        accepts = set([own] + [str(v) for v in (mig.get("accepts") or [])])

        def probe(data):
            if not supported:
                raise _err(errno.ENODEV)
            # sysfs_streq() semantics: one trailing newline is tolerated.
            text = data[:-1] if data.endswith(b"\n") else data
            if text.decode("utf-8", "replace") in accepts and len(data) <= MAX_VERSION_BYTES:
                return len(data)
            raise _err(errno.EINVAL)

        self._add_file("%s/%s" % (where, attribute),
                       Attr(own, mode=0o644, on_write=probe, read_errno=None if supported else errno.ENODEV))

    def _build_gpu(self, bdf, gpu):
        gdir = "%s/%s" % (PCI_ROOT, bdf)
        self._add_link("bus/pci/devices/%s" % bdf, gdir)
        self._add_link("%s/subsystem" % gdir, "bus/pci")
        for name, value in _pci_files(gpu.get("pci") or {}, gpu.get("numa_node")).items():
            self._add_file("%s/%s" % (gdir, name), Attr(value))
        self._driver(gdir, gpu, default_driver="nvidia")
        for vf, spec in (gpu.get("vfs") or {}).items():
            vdir = "%s/%s" % (PCI_ROOT, vf)
            spec = spec or {}
            self._add_link("bus/pci/devices/%s" % vf, vdir)
            self._add_link("%s/physfn" % vdir, gdir)
            self._add_link("%s/subsystem" % vdir, "bus/pci")
            vf_ident = dict(gpu.get("pci") or {}, device_id=spec.get("device_id", (gpu.get("pci") or {}).get("device_id")))
            for name, value in _pci_files(vf_ident, gpu.get("numa_node")).items():
                self._add_file("%s/%s" % (vdir, name), Attr(value))
            creatable = spec.get("creatable_types") or {}
            current = int(spec.get("current_type", 0) or 0)
            listing = "ID    : vGPU Name\n" + "".join("%s : %s\n" % (k, v) for k, v in creatable.items())
            if current:
                listing = "ID    : vGPU Name\n"     # a VF in use offers nothing more, like the driver
            self._add_file("%s/nvidia/creatable_vgpu_types" % vdir, Attr(listing.encode("utf-8")))
            self._add_file("%s/nvidia/current_vgpu_type" % vdir, Attr(str(current)))

    # -- libvirt and mdevctl: configuration files of the host root ----------------------------

    def _build_libvirt(self):
        """The node file of libvirt's test driver, which the inventory's ``libvirt_uri`` opens."""
        mode = self.spec.get("libvirt", "served")
        if mode == "refused":
            return      # no libvirt here: the inventory points at a socket nobody listens on
        document = libvirt_node_xml(self.machine, self.spec.get("domains") or {})
        if mode == "malformed":
            # Cut off halfway, as an interrupted write leaves a file: never well-formed, since
            # the closing </node> is always in the second half.
            document = document[:len(document) // 2]
        self._add_host_file(LIBVIRT_NODE_FILE, Attr(document, exact_size=True))

    # -- kernel semantics ------------------------------------------------------------------

    def canonical(self, path):
        """Resolve links in a tree path the way the kernel's path walk would."""
        parts = [p for p in path.strip("/").split("/") if p]
        done = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            if part == ".":
                continue
            cur = "/".join(done + [part])
            entry = self.entries.get(cur)
            if isinstance(entry, tuple):
                hops += 1
                if hops > 40:
                    raise _err(errno.ELOOP)
                parts = [p for p in entry[1].split("/") if p] + parts
                continue
            done.append(part)
        return "/".join(done)

    def _fault(self, path, op):
        for fault in self.faults:
            if fault.matches(path, op) and fault.armed():
                return fault
        return None

    def _apply(self, path, op):
        """Apply a matching fault: sleep, vanish or fail. Returns the fault for value overrides."""
        fault = self._fault(path, op)
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.vanish:
            raise _err(errno.ENOENT)
        if fault.errno:
            raise _err(fault.errno)
        return fault

    def lookup(self, path):
        path = path.strip("/")
        self._apply(path, "getattr")
        with self.lock:
            entry = self.entries.get(path)
        if entry is None:
            raise _err(errno.ENOENT)
        return entry

    def readdir(self, path):
        path = path.strip("/")
        self._apply(path, "readdir")
        with self.lock:
            if self.entries.get(path) != "dir":
                raise _err(errno.ENOTDIR if path in self.entries else errno.ENOENT)
            prefix = path + "/" if path else ""
            names = set()
            for p in self.entries:
                if p.startswith(prefix) and p != path:
                    names.add(p[len(prefix):].split("/", 1)[0])
        return sorted(names)

    def readlink(self, path):
        entry = self.lookup(path)
        fault = self._apply(path.strip("/"), "readlink")
        if not isinstance(entry, tuple):
            raise _err(errno.EINVAL)
        if fault is not None and fault.link_to is not None:
            return str(fault.link_to)
        return entry[1]

    def open(self, path, flags, uid=0):
        """Permission check on open, as the kernel does it from the attribute's mode and owner.

        Every attribute belongs to root: writable ones (version attributes 0644, ``create`` and
        ``remove`` 0200) can be opened for writing by uid 0 only; anyone else gets EACCES.
        """
        path = path.strip("/")
        entry = self.lookup(path)
        accmode = flags & os.O_ACCMODE
        if not isinstance(entry, Attr):
            raise _err(errno.EISDIR)
        try:
            self._apply(path, "open")
        except OSError as exc:
            if accmode != os.O_RDONLY:
                self.log(path, b"", "open", errno_=exc.errno, uid=uid)
            raise
        if accmode != os.O_RDONLY and (not entry.mode & 0o200 or uid != 0):
            self.log(path, b"", "open", errno_=errno.EACCES, uid=uid)
            raise _err(errno.EACCES)
        readable = entry.mode & 0o400 if uid == 0 else entry.mode & 0o004
        if accmode != os.O_WRONLY and not readable:
            raise _err(errno.EACCES)
        if flags & os.O_TRUNC and accmode != os.O_RDONLY:
            self.truncate(path, 0, uid)     # FUSE passes O_TRUNC here (atomic_o_trunc)

    def read(self, path, size, offset):
        path = path.strip("/")
        entry = self.lookup(path)
        fault = self._apply(path, "read")
        data = fault.value if fault is not None and fault.value is not None else entry.content()
        return data[offset:offset + size]

    def write(self, path, data, uid=0, offset=0):
        path = path.strip("/")
        entry = self.lookup(path)
        if uid != 0:
            self.log(path, data, "write", errno_=errno.EACCES, uid=uid)
            raise _err(errno.EACCES)
        try:
            fault = self._apply(path, "write")
            if entry.on_write is None:
                raise _err(errno.EACCES)
            # A file of etc/mdevctl.d is written where the offset says; a sysfs attribute takes
            # each write whole.
            written = entry.on_write(data, offset) if self.in_config(path) else entry.on_write(data)
            if fault is not None and fault.short_write is not None:
                written = min(int(fault.short_write), written)
        except OSError as exc:
            self.log(path, data, "write", errno_=exc.errno)
            raise
        self.log(path, data, "write", written=written)
        return written

    def log(self, path, data, op, written=None, errno_=None, uid=0):
        """Append one write attempt to the write log: path (in the host root), bytes, uid, and what
        the kernel answered."""
        if not self.write_log:
            return
        record = {
            "host": self.name,
            "uid": uid,
            "path": "/" + path,
            "op": op,
            "data": data.decode("utf-8", "backslashreplace"),
            "length": len(data),
            "written": written,
            "errno": errno.errorcode.get(errno_) if errno_ else None,
        }
        with self.lock:
            with open(self.write_log, "a") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")

    # -- plain tree ------------------------------------------------------------------------

    def materialize(self, target):
        """Write the tree as plain files and relative links under ``target`` (no semantics)."""
        os.makedirs(target, exist_ok=True)
        for path in sorted(self.entries):
            entry = self.entries[path]
            dest = os.path.join(target, path)
            if entry == "dir":
                os.makedirs(dest, exist_ok=True)
            elif isinstance(entry, tuple):
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.symlink(entry[1], dest)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as handle:
                    try:
                        handle.write(entry.content())
                    except OSError:
                        pass
                os.chmod(dest, entry.mode)


# -- fleet description: identities and strict checking ---------------------------------------

_NS = uuidlib.UUID("5c1e0f4a-6d2b-4b8e-9a3c-7f1d2e3b4a50")     # namespace of derived identities


def boot_id_of(name, spec):
    """The host's boot id: the fleet's ``boot_id``, or a UUID derived from the host name."""
    return str(spec.get("boot_id") or uuidlib.uuid5(_NS, "boot:%s" % name))


def machine_id_of(name, spec):
    """The host's machine id: the fleet's ``machine_id``, or 32 hex digits derived from the name."""
    return str(spec.get("machine_id") or uuidlib.uuid5(_NS, "machine:%s" % name).hex)


def domain_uuid_of(host, name, domain):
    """A domain's libvirt UUID: the fleet's ``uuid``, or one derived from the host and VM names."""
    return str((domain or {}).get("uuid") or uuidlib.uuid5(_NS, "domain:%s:%s" % (host, name)))


def libvirt_node_xml(host, domains):
    """The node file of libvirt's test driver (``test:///path``) holding ``domains``, as bytes."""
    lines = ["<node>"]
    for name, domain in domains.items():
        domain = domain or {}
        lines += ["  <domain type='test' xmlns:test='%s'>" % LIBVIRT_TEST_NS,
                  "    <name>%s</name>" % xml_escape(name),
                  "    <uuid>%s</uuid>" % domain_uuid_of(host, name, domain),
                  "    <memory unit='KiB'>%d</memory>" % DOMAIN_MEMORY_KIB,
                  "    <os>",
                  "      <type>hvm</type>",
                  "    </os>",
                  "    <devices>"]
        for device in domain.get("devices") or []:
            pci = PCI_ADDRESS_RE.match(device)
            if pci:
                lines += ["      <hostdev mode='subsystem' type='pci' managed='yes'>",
                          "        <source><address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source>"
                          % pci.groups(),
                          "      </hostdev>"]
            else:
                lines += ["      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>",
                          "        <source><address uuid='%s'/></source>" % device,
                          "      </hostdev>"]
        lines.append("    </devices>")
        lines.append("    <test:runstate>%d</test:runstate>" % RUNSTATES[domain.get("state", "running")])
        if not domain.get("persistent", True):
            lines.append("    <test:transient/>")
        lines.append("  </domain>")
    lines.append("</node>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def mdevctl_definition_json(definition):
    """One file of /etc/mdevctl.d/<parent>/, byte for byte as mdevctl 1.2.0 writes it: serde_json's
    pretty printer (2-space indent, no trailing newline), keys in mdevctl's order, UTF-8 unescaped."""
    document = {"mdev_type": definition["type"], "start": definition.get("start", "manual"),
                "attrs": [dict(attr) for attr in definition.get("attrs") or []]}
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def resolve_alias(name, spec, fleet):
    """A host declared ``alias_of: other`` is the other machine under a second inventory name: the
    same tree, machine id and boot id; only its own ``host_vars`` and ``faults`` are its own."""
    target = spec.get("alias_of")
    if target is None:
        return spec
    other = (fleet or {}).get(target)
    if not isinstance(other, dict):
        raise FleetError("hosts.%s.alias_of: no host %r in the fleet" % (name, target))
    if other.get("alias_of") is not None:
        raise FleetError("hosts.%s.alias_of: %r is itself an alias" % (name, target))
    merged = dict(other)
    merged["machine_id"] = machine_id_of(target, other)
    merged["boot_id"] = boot_id_of(target, other)
    for key in ("host_vars", "faults", "unreachable"):
        if key in spec:
            merged[key] = spec[key]
        else:
            merged.pop(key, None)
    return merged


# What each mapping of a fleet description may hold: key -> checker. A checker is a type
# name, a tuple of allowed values, or a nested schema (dict) / ("map", schema) / ("list", schema).
_STR, _INT, _BOOL, _NUM, _HEX = "str", "int", "bool", "number", "hex"
_PCI = {"vendor_id": _HEX, "device_id": _HEX, "subsystem_vendor_id": _HEX, "subsystem_device_id": _HEX,
        "revision": _HEX}
_MIGRATION = {"attribute": ("migration_version", "version", "none", None), "version": _STR,
              "accepts": ("list", _STR), "supported": _BOOL}
_TYPE = {"name": _STR, "description": _STR, "device_api": _STR, "available_instances": "count",
         "migration": ("optional", _MIGRATION)}
_PARENT = {"bus": ("pci", "virtual"), "homogeneous": _BOOL, "class": _STR, "pci": _PCI, "driver": _STR, "driver_version": _STR,
           "driver_in_tree": _BOOL, "numa_node": _INT, "types": ("map", ("optional", _TYPE))}
_DEVICE = {"parent": _STR, "type": _STR, "migration": ("optional", _MIGRATION)}
_VF = {"device_id": _HEX, "current_type": "count", "creatable_types": ("idmap", _STR)}
_GPU = {"pci": _PCI, "driver": _STR, "driver_version": _STR, "driver_in_tree": _BOOL, "numa_node": _INT,
        "vfs": ("map", ("optional", _VF))}
_FAULT = {"path": _STR, "op": OPS, "errno": _STR, "after": "count", "until": "count", "delay": _NUM,
          "vanish": _BOOL, "short_write": "count", "link_to": _STR, "value": _STR, "value_hex": _STR,
          "value_repeat": {"char": _STR, "count": "count"}}
_DOMAIN = {"uuid": "uuid", "state": tuple(RUNSTATES), "persistent": _BOOL, "devices": ("list", _STR)}
_DEFINITION = {"parent": _STR, "type": _STR, "start": ("auto", "manual"), "attrs": ("list", "attr")}
_HOST = {"kernel_release": _STR, "host_vars": "mapping", "unreachable": _BOOL, "boot_id": "uuid",
         "machine_id": "machine_id", "alias_of": _STR, "parents": ("map", ("optional", _PARENT)),
         "devices": ("map", _DEVICE), "vendor_vfio": {"gpus": ("map", ("optional", _GPU))},
         "faults": ("list", _FAULT), "domains": ("map", ("optional", _DOMAIN)), "defined": ("map", _DEFINITION),
         "libvirt": ("served", "malformed", "refused")}
_ALIAS_KEYS = ("alias_of", "host_vars", "faults", "unreachable")
_TYPE_HINT = {_STR: "a string (quote numbers such as 6.8 or 1.10)", _INT: "an integer", _BOOL: "true or false",
              _NUM: "a number", _HEX: "hexadecimal digits as a quoted string (\"10de\")",
              "count": "an integer of 0 or more", "mapping": "a mapping",
              "uuid": "a lower-case UUID as a string", "machine_id": "32 lower-case hexadecimal digits as a string",
              "attr": "a mapping of one attribute name to a string value (quote numbers)"}


def _placeholder(value):
    return isinstance(value, str) and "..." in value


def _check(where, value, schema):
    if _placeholder(value):
        raise FleetError("%s: %r is a placeholder, not a value" % (where, value))
    if isinstance(schema, tuple) and schema and schema[0] == "optional":
        if value is None:
            return
        schema = schema[1]
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise FleetError("%s: must be a mapping, got %s" % (where, type(value).__name__))
        for key, item in value.items():
            if _placeholder(key) or key not in schema:
                raise FleetError("%s: unknown key %r (known: %s)" % (where, key, ", ".join(sorted(schema))))
            _check("%s.%s" % (where, key), item, schema[key])
        return
    if isinstance(schema, tuple) and schema and schema[0] in ("map", "idmap", "list"):
        kind, inner = schema
        if kind == "list":
            if not isinstance(value, list):
                raise FleetError("%s: must be a list, got %s" % (where, type(value).__name__))
            for index, item in enumerate(value):
                _check("%s[%d]" % (where, index), item, inner)
            return
        if not isinstance(value, dict):
            raise FleetError("%s: must be a mapping, got %s" % (where, type(value).__name__))
        for key, item in value.items():
            if _placeholder(key):
                raise FleetError("%s: key %r is a placeholder, not a name" % (where, key))
            if kind == "idmap":
                if isinstance(key, bool) or not (isinstance(key, int) or (isinstance(key, str) and key.isdigit()
                                                                          and key.isascii())):
                    raise FleetError("%s: key %r is not a decimal type id" % (where, key))
            elif not isinstance(key, str):
                raise FleetError("%s: key %r must be a string (quote it)" % (where, key))
            _check("%s.%s" % (where, key), item, inner)
        return
    if isinstance(schema, tuple):
        if value not in schema:
            raise FleetError("%s: %r is not one of %s" % (where, value, ", ".join(str(c) for c in schema)))
        return
    ok = {
        _STR: isinstance(value, str),
        _INT: isinstance(value, int) and not isinstance(value, bool),
        "count": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        _BOOL: isinstance(value, bool),
        _NUM: isinstance(value, (int, float)) and not isinstance(value, bool),
        _HEX: isinstance(value, str) and bool(re.match(r"[0-9a-fA-F]{1,8}\Z", value)),
        "mapping": isinstance(value, dict),
        "uuid": isinstance(value, str) and bool(UUID_RE.match(value)),
        "machine_id": isinstance(value, str) and bool(re.match(r"[0-9a-f]{32}\Z", value)),
        # mdevctl keeps each attribute as a JSON object with a single string field.
        "attr": isinstance(value, dict) and len(value) == 1 and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
    }[schema]
    if not ok:
        raise FleetError("%s: must be %s, got %r" % (where, _TYPE_HINT[schema], value))


def check_host(name, spec, fleet=None):
    """Check one host's description; FleetError names the key path (hosts.<host>.<key>...)."""
    where = "hosts.%s" % name
    _check(where, spec, _HOST)
    if spec.get("alias_of") is not None:
        extra = sorted(k for k in spec if k not in _ALIAS_KEYS)
        if extra:
            raise FleetError("%s: an alias (alias_of) takes only %s, not %s" % (where, ", ".join(_ALIAS_KEYS),
                                                                                ", ".join(extra)))
        if fleet is not None:
            resolve_alias(name, spec, fleet)
    for index, fault in enumerate(spec.get("faults") or []):
        if "errno" in fault:
            _errno_number(fault["errno"], "%s.faults[%d].errno" % (where, index))
        if "value_repeat" in fault and "count" not in fault["value_repeat"]:
            raise FleetError("%s.faults[%d].value_repeat: needs a count" % (where, index))
    _check_domains(name, spec)
    _check_definitions(name, spec)


def _check_domains(host, spec):
    """What libvirt would refuse, and what no real host can show: a running VM holding a device
    the host does not have, or one device held by two running VMs."""
    mdevs = set(str(u) for u in (spec.get("devices") or {}))
    vfs = set(str(vf) for gpu in ((spec.get("vendor_vfio") or {}).get("gpus") or {}).values()
              for vf in ((gpu or {}).get("vfs") or {}))
    holders = {}        # device -> the active domain holding it
    uuids = {}          # libvirt uuid -> domain name
    for name, domain in (spec.get("domains") or {}).items():
        where = "hosts.%s.domains.%s" % (host, name)
        domain = domain or {}
        if not name or "/" in name or re.search(r"[\x00-\x1f]", name):
            raise FleetError("%s: %r is not a libvirt domain name (no '/', no control characters)" % (where, name))
        uuid = domain_uuid_of(host, name, domain)
        if uuid in uuids:
            raise FleetError("%s.uuid: %s is already the uuid of domain %s" % (where, uuid, uuids[uuid]))
        uuids[uuid] = name
        state = domain.get("state", "running")
        if state == "shutoff" and not domain.get("persistent", True):
            # libvirt's test driver refuses such a node file too: a transient domain that stops is gone.
            raise FleetError("%s: a transient domain (persistent: false) cannot be shutoff" % where)
        seen = set()
        for index, device in enumerate(domain.get("devices") or []):
            at = "%s.devices[%d]" % (where, index)
            is_mdev = bool(UUID_RE.match(device))
            if not is_mdev and not PCI_ADDRESS_RE.match(device):
                raise FleetError("%s: %r is neither an mdev UUID (lower-case) nor a VF's PCI address such as "
                                 "0000:41:00.4" % (at, device))
            if device in seen:
                raise FleetError("%s: %s is listed twice" % (at, device))
            seen.add(device)
            if state not in ACTIVE_STATES:
                continue    # a shut-off VM's definition may name devices that do not exist (any more)
            if is_mdev and device not in mdevs:
                raise FleetError("%s: the %s domain holds mdev %s, which is not one of this host's devices (%s)"
                                 % (at, state, device, ", ".join(sorted(mdevs)) or "none"))
            if not is_mdev and device not in vfs:
                raise FleetError("%s: the %s domain holds %s, which is not a VF of this host's vendor_vfio gpus (%s)"
                                 % (at, state, device, ", ".join(sorted(vfs)) or "none"))
            if device in holders:
                raise FleetError("%s: %s is already held by the active domain %s" % (at, device, holders[device]))
            holders[device] = name


def _check_definitions(host, spec):
    for uuid, definition in (spec.get("defined") or {}).items():
        where = "hosts.%s.defined.%s" % (host, uuid)
        if not UUID_RE.match(uuid):
            raise FleetError("%s: the key must be the device's lower-case UUID" % where)
        if "parent" not in definition or "type" not in definition:
            raise FleetError("%s: needs 'parent' and 'type'" % where)
        # The parent names a directory of /etc/mdevctl.d, next to scripts.d.
        if definition["parent"] in ("", ".", "..", "scripts.d") or "/" in definition["parent"]:
            raise FleetError("%s.parent: %r cannot be a directory of /etc/mdevctl.d" % (where, definition["parent"]))


def check_fleet(data, path="fleet"):
    """Check a whole fleet description; returns it."""
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), dict):
        raise FleetError("%s: a fleet description is a mapping with a 'hosts' mapping" % path)
    unknown = sorted(str(k) for k in data if k not in ("fleet_format", "hosts"))
    if unknown:
        raise FleetError("%s: unknown key %s (known: fleet_format, hosts)" % (path, ", ".join(unknown)))
    if data.get("fleet_format", FLEET_FORMAT) != FLEET_FORMAT:
        raise FleetError("%s: fleet_format %r is not supported (expected %d)" % (path, data.get("fleet_format"), FLEET_FORMAT))
    for name, spec in data["hosts"].items():
        if not isinstance(name, str) or _placeholder(name):
            raise FleetError("hosts: %r is not a host name" % (name,))
        if spec is None:
            spec = data["hosts"][name] = {}
        if not isinstance(spec, dict):
            raise FleetError("hosts.%s: must be a mapping, got %s" % (name, type(spec).__name__))
        check_host(name, spec, data["hosts"])
    return data


def load_fleet(path):
    """Read and check a fleet description file; returns the whole description."""
    with open(path) as handle:
        data = yaml.safe_load(handle)
    return check_fleet(data, path)
