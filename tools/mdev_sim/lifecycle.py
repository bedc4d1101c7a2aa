# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Creating and removing mdevs with the kernel's semantics, and mdevctl's writable directory.

``Lifecycle`` is mixed into ``HostModel``: it owns ``state`` (free instances and devices per
parent and type), ``devices`` and the files of ``etc/mdevctl.d``, and rebuilds the tree after a
change. The errno of each refusal is the kernel's; where it comes from is written beside it.
"""

import errno
import os

MDEVCTL_ROOT = "etc/mdevctl.d"
UUID_STRING_LEN = 36        # include/linux/uuid.h
# The errno a homogeneous parent (NVIDIA vGPU on a time-sliced GPU: one type per physical GPU at a
# time) gives for a second type. NVIDIA's driver is not open and its documentation names no errno;
# EINVAL is the generic refusal of a create_store() (see docs/simulator.md).
EHETEROGENEOUS = errno.EINVAL


def _err(code):
    return OSError(code, os.strerror(code))


def kernel_guid_parse(data):
    """The UUID of a ``create`` write, lower case, as the kernel parses it, or OSError(EINVAL).

    drivers/vfio/mdev/mdev_sysfs.c, create_store(): ``if ((count < UUID_STRING_LEN) || (count >
    UUID_STRING_LEN + 1)) return -EINVAL;`` then ``ret = guid_parse(str, &uuid); ... if (ret) return
    ret;``. guid_parse() (lib/uuid.c, __uuid_parse) returns -EINVAL unless uuid_is_valid(): the first
    36 characters are hex digits with '-' at 8, 13, 18 and 23; a 37th byte is not looked at.
    """
    if len(data) < UUID_STRING_LEN or len(data) > UUID_STRING_LEN + 1:
        raise _err(errno.EINVAL)
    text = data[:UUID_STRING_LEN]
    for index, byte in enumerate(bytearray(text)):
        char = chr(byte)
        if index in (8, 13, 18, 23):
            if char != "-":
                raise _err(errno.EINVAL)
        elif char not in "0123456789abcdefABCDEF":
            raise _err(errno.EINVAL)
    # The device is named with "%pUl": lower case.
    return text.decode("ascii").lower()


def kstrtoul(data):
    """The kernel's kstrtoul(buf, 0, &val): one trailing newline, an optional '+', base 0 (0x hex,
    leading 0 octal, else decimal). Returns the value or None where the kernel returns an error."""
    text = data.decode("ascii", "replace")
    if text.endswith("\n"):
        text = text[:-1]
    if text.startswith("+"):
        text = text[1:]
    base, digits = 10, text
    if text[:2].lower() == "0x":
        base, digits = 16, text[2:]
    elif text.startswith("0") and len(text) > 1:
        base, digits = 8, text[1:]
    allowed = "0123456789abcdefABCDEF"[:base + (6 if base == 16 else 0)]
    if not digits or any(c not in allowed for c in digits):
        return None
    value = int(digits, base)
    return value if value < 2 ** 64 else None


class Lifecycle:
    """Kernel semantics of ``<type>/create`` and ``<device>/remove``; files of etc/mdevctl.d."""

    # -- capacity --------------------------------------------------------------------------

    def homogeneous(self, pname):
        return bool(((self.spec.get("parents") or {}).get(pname) or {}).get("homogeneous", False))

    def held_types(self, pname):
        """Types of which ``pname`` holds devices now."""
        return set(t for (p, t), s in self.state.items() if p == pname and s["devices"])

    def available(self, pname, tid):
        """``available_instances`` as read: 0 for the other types of a homogeneous parent that
        holds a device."""
        if self.homogeneous(pname) and self.held_types(pname) - {tid}:
            return 0
        return self.state[(pname, tid)]["available"]

    # -- create and remove ------------------------------------------------------------------

    def _create(self, pname, tid, data):
        uuid = kernel_guid_parse(data)
        with self.lock:
            state = self.state[(pname, tid)]
            # drivers/vfio/mdev/mdev_core.c, mdev_device_create(): "Check for duplicate" over every
            # mdev of every parent: ``if (guid_equal(&tmp->uuid, uuid)) { ... return -EEXIST; }``.
            if uuid in self.devices:
                raise _err(errno.EEXIST)
            # A homogeneous parent's driver refuses a second type itself (its get_available()
            # already shows 0 for the other types); see EHETEROGENEOUS.
            if self.homogeneous(pname) and self.held_types(pname) - {tid}:
                raise _err(EHETEROGENEOUS)
            # mdev_core.c, mdev_device_create(), for a driver without get_available():
            # ``if (!atomic_read(&parent->available_instances)) { ... return -EUSERS; }``.
            if state["available"] <= 0:
                raise _err(errno.EUSERS)
            state["available"] -= 1
            state["devices"].append(uuid)
            self.devices[uuid] = {"parent": pname, "type": tid, "migration": None}
            self.build()
        return len(data)

    def _remove(self, uuid, data):
        """drivers/vfio/mdev/mdev_sysfs.c, remove_store(): ``if (kstrtoul(buf, 0, &val) < 0) return
        -EINVAL;``; a value of 0 does nothing and returns count; any other value removes the device
        (mdev_device_remove(); mdev_core.c, mdev_device_release() gives the instance back:
        ``atomic_inc(&parent->available_instances)``). The ``remove`` file goes with the device,
        so a later write gets ENOENT at open."""
        value = kstrtoul(data)
        if value is None:
            raise _err(errno.EINVAL)
        if value:
            with self.lock:
                dev = self.devices.pop(uuid, None)
                if dev is None:
                    # mdev_core.c, mdev_device_remove(): a device no longer on the list.
                    raise _err(errno.ENODEV)
                state = self.state[(dev["parent"], dev["type"])]
                state["devices"].remove(uuid)
                state["available"] += 1
                self.build()
        return len(data)

    # -- etc/mdevctl.d: a configuration directory root may write ----------------------------

    def _init_mdevctl(self):
        from .model import mdevctl_definition_json  # pylint: disable=import-outside-toplevel
        self.config_dirs = set(["%s/scripts.d/callouts" % MDEVCTL_ROOT, "%s/scripts.d/notifiers" % MDEVCTL_ROOT])
        self.config_files = {}
        for uuid, definition in (self.spec.get("defined") or {}).items():
            path = "%s/%s/%s" % (MDEVCTL_ROOT, definition["parent"], uuid)
            self.config_files[path] = mdevctl_definition_json(definition)
            self.config_dirs.add(os.path.dirname(path))

    def _build_mdevctl(self):
        """mdevctl's persistent definitions (<parent>/<uuid> files) and the script directories
        without which mdevctl refuses to run; root may add, change and remove files there."""
        from .model import Attr  # pylint: disable=import-outside-toplevel
        for path in sorted(self.config_dirs):
            self._host_dir(path)
        for path in sorted(self.config_files):
            self._add_host_file(path, Attr(lambda p=path: self.config_files[p], mode=0o644, exact_size=True,
                                           on_write=lambda d, o=0, p=path: self._config_write(p, d, o)))

    def in_config(self, path):
        path = path.strip("/")
        return path.startswith(MDEVCTL_ROOT + "/") and path.split("/")[2:3] != ["scripts.d"]

    def _config_parent(self, path, uid):
        """Checks before adding or removing ``path`` in etc/mdevctl.d: root only, an existing
        parent directory, never in scripts.d."""
        if not self.in_config(path):
            raise _err(errno.EACCES)
        if uid != 0:
            self.log(path, b"", "open", errno_=errno.EACCES, uid=uid)
            raise _err(errno.EACCES)
        if self.entries.get(os.path.dirname(path)) != "dir":
            raise _err(errno.ENOENT)

    def _config_write(self, path, data, offset):
        content = self.config_files[path]
        content = content[:offset].ljust(offset, b"\0") + data + content[offset + len(data):]
        self.config_files[path] = content
        return len(data)

    def create_file(self, path, uid=0):
        path = path.strip("/")
        with self.lock:
            self._config_parent(path, uid)
            if path in self.entries:
                raise _err(errno.EEXIST)
            self.config_files[path] = b""
            self.config_dirs.add(os.path.dirname(path))
            self.build()

    def make_dir(self, path, uid=0):
        path = path.strip("/")
        with self.lock:
            self._config_parent(path, uid)
            if path in self.entries:
                raise _err(errno.EEXIST)
            self.config_dirs.add(path)
            self.build()

    def unlink(self, path, uid=0):
        path = path.strip("/")
        with self.lock:
            self._config_parent(path, uid)
            if path not in self.config_files:
                raise _err(errno.EISDIR if path in self.config_dirs else errno.ENOENT)
            del self.config_files[path]
            self.config_dirs.add(os.path.dirname(path))     # its directory stays
            self.log(path, b"", "unlink", uid=uid)
            self.build()

    def rmdir(self, path, uid=0):
        path = path.strip("/")
        with self.lock:
            self._config_parent(path, uid)
            if path not in self.config_dirs:
                raise _err(errno.ENOENT)
            if any(p.startswith(path + "/") for p in self.entries):
                raise _err(errno.ENOTEMPTY)
            self.config_dirs.discard(path)
            self.build()

    def truncate(self, path, length, uid=0):
        path = path.strip("/")
        with self.lock:
            if path not in self.config_files:
                # sysfs ignores the truncation of an attribute ("echo x > attr" opens with O_TRUNC).
                return
            if uid != 0:
                raise _err(errno.EACCES)
            self.config_files[path] = self.config_files[path][:length].ljust(length, b"\0")
