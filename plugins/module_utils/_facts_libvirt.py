# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's VMs and the mdevs and VFs they hold, read from libvirt (PRIVATE to the collection).

Read through ``virsh -r`` (a read-only connection; virsh is on every KVM host that runs libvirt)
in few runs whatever the number of VMs: one lists the domains' UUIDs, then one per 200 domains
asks ``dominfo`` and ``dumpxml`` of each, separated by a marker line that no XML of this run can contain. The XML is
parsed with the standard library. Nothing here raises: a missing virsh, a refused connection
or an XML that does not parse is a ``SysfsError``-shaped record and ``libvirt.error``, and the
facts gathered from sysfs stand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid as uuidlib
from xml.etree import ElementTree

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import SysfsError

DEFAULT_URI = "qemu:///system"
# About 200 bytes of virsh commands per domain: 200 domains stay far below the argument limit.
DOMAINS_PER_RUN = 200
# Parsing virsh's words (dominfo's keys, state names) needs its untranslated output.
VIRSH_ENV = {"LC_ALL": "C", "LANG": "C"}


def pci_address(address):
    """``0000:41:00.4`` from a libvirt ``<address domain= bus= slot= function=>``, or None."""
    try:
        parts = [int(address.get(key, ""), 0) for key in ("domain", "bus", "slot", "function")]
    except ValueError:
        return None
    return "%04x:%02x:%02x.%x" % tuple(parts)


def hostdevs(xml_text):
    """``(name, mdev UUIDs, PCI addresses, other host devices)`` of a domain XML.

    mdevs are ``<hostdev type='mdev'>``; PCI addresses come from ``<hostdev type='pci'>`` and
    ``<interface type='hostdev'>`` (an SR-IOV VF given as a NIC); every other host device (USB,
    SCSI, a PCI device without an address) is described in the last list, so that nothing the
    VM holds goes unseen. Raises ValueError when the text is not a domain XML.
    """
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise ValueError("domain XML does not parse: %s" % exc)
    if root.tag != "domain" or root.findtext("name") is None:
        raise ValueError("XML is a <%s> without a name, not a domain" % root.tag)
    mdevs, pci, other = [], [], []
    devices = list(root.iterfind("./devices/hostdev")) + [
        i for i in root.iterfind("./devices/interface") if i.get("type") == "hostdev"]
    for device in devices:
        kind = "pci" if device.tag == "interface" else device.get("type")
        address = device.find("./source/address")
        if kind == "mdev" and address is not None and address.get("uuid"):
            mdevs.append(address.get("uuid").lower())
            continue
        bdf = pci_address(address) if kind == "pci" and address is not None else None
        if bdf is not None:
            pci.append(bdf)
        else:
            other.append("%s %s" % (device.tag, kind or "(no type)"))
    return root.findtext("name"), mdevs, pci, other


def dominfo(text):
    """dominfo's ``Key: value`` lines as a dict."""
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


class LibvirtReader:
    """One read of the domains at ``uri`` with ``virsh`` (its path, None when not installed), run
    by ``run`` (``AnsibleModule.run_command`` or a callable with its signature and result)."""

    def __init__(self, uri, virsh, run):
        self.uri = uri
        self.virsh = virsh
        self.run = run
        self.errors = []

    def _fail(self, errno_, message):
        self.errors.append(SysfsError(self.uri, errno_, message).as_dict())
        return message

    def _virsh(self, command):
        rc, out, err = self.run([self.virsh, "-r", "-q", "-c", self.uri, command], environ_update=VIRSH_ENV)
        lines = [line.strip() for line in (err or "").splitlines() if line.strip()]
        # virsh says what went wrong on "error:" lines; libxml adds context lines that mean nothing alone.
        said = [line[len("error:"):].strip() for line in lines if line.startswith("error:")] or lines[-2:]
        return rc, out, "; ".join(said) or "virsh exited with status %s" % rc

    def read(self, vf_addresses=None):
        """``(libvirt, domains)``; ``vf_addresses`` the host's vendor-VFIO VFs (None: not gathered)."""
        info = {"uri": self.uri, "available": False, "error": None}
        if not self.virsh:
            info["error"] = self._fail("ENOENT", "virsh not found on PATH (install libvirt-clients to read the host's VMs)")
            return info, {}
        rc, out, message = self._virsh("list --all --uuid")
        if rc != 0:
            info["error"] = self._fail("ECONNREFUSED", "virsh could not list the domains at %s: %s" % (self.uri, message))
            return info, {}
        uuids = [line.strip() for line in out.splitlines() if line.strip()]
        domains = {}
        if uuids:
            domains = self._domains(uuids, vf_addresses)
        info["available"] = True
        info["error"] = "; ".join(e["message"] for e in self.errors) or None
        return info, domains

    def _domains(self, uuids, vf_addresses):
        domains = {}
        # One virsh run per chunk: a command line is limited (128 KiB per argument on Linux).
        for start in range(0, len(uuids), DOMAINS_PER_RUN):
            self._chunk(uuids[start:start + DOMAINS_PER_RUN], vf_addresses, domains)
        return domains

    def _chunk(self, uuids, vf_addresses, domains):
        marker = "@@mdev-facts-%s@@" % uuidlib.uuid4().hex
        batch = " ; ".join("dominfo %s ; echo %s ; dumpxml %s ; echo %s" % (u, marker, u, marker) for u in uuids)
        rc, out, message = self._virsh(batch)
        # virsh's echo ends without a newline; a command that fails prints nothing on stdout.
        blocks = out.split(marker)
        for index, uuid in enumerate(uuids):
            if 2 * index + 1 >= len(blocks):
                # virsh stopped early (a domain undefined since the list): the rest is unknown.
                self._fail("EIO", "virsh could not read domain %s: %s" % (uuid, message))
                continue
            info = dominfo(blocks[2 * index])
            if not info.get("State") or not blocks[2 * index + 1].strip():
                # Undefined between the list and this read, or refused: nothing known of it.
                self._fail("EIO", "virsh could not read domain %s: %s" % (uuid, message))
                continue
            try:
                # The name from the XML, as libvirt keeps it: dominfo's line is trimmed and could be forged.
                name, mdevs, pci, other = hostdevs(blocks[2 * index + 1])
            except ValueError as exc:
                self._fail("EINVAL", "domain %s: %s" % (uuid, exc))
                continue
            if vf_addresses is not None:
                other = ["pci %s (not a vendor-VFIO VF of this host)" % a for a in pci if a not in vf_addresses] + other
            domains[name] = {
                "uuid": info.get("UUID", uuid).lower(),
                "state": info.get("State"),
                "active": info.get("Id", "-") != "-",
                "persistent": {"yes": True, "no": False}.get(info.get("Persistent")),
                "mdevs": mdevs,
                "vfs": None if vf_addresses is None else [a for a in pci if a in vf_addresses],
                "other_hostdevs": other,
            }


def attach_domains(devices, domains):
    """Give each device in ``devices`` its ``domain``: the active VM holding it, or None."""
    holder = {}
    for name, domain in sorted(domains.items()):
        if domain["active"]:
            for uuid in domain["mdevs"]:
                holder.setdefault(uuid, name)
    for uuid, device in devices.items():
        device["domain"] = holder.get(uuid)
