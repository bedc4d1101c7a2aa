# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""FUSE front end of a ``HostModel``: forwards each syscall and turns OSError into the errno."""

import errno
import stat
import time

import mfusepy

from .model import Attr


class FuseOps(mfusepy.Operations):
    use_ns = True

    def __init__(self, model):
        self.model = model
        self.now = int(time.time() * 1e9)
        self.served = False

    def init(self, path):
        # Called once the file system is mounted and served.
        self.served = True

    def _call(self, func, *args):
        try:
            return func(*args)
        except OSError as exc:
            raise mfusepy.FuseOSError(exc.errno or errno.EIO)

    def getattr(self, path, fh=None):
        entry = self._call(self.model.lookup, path)
        base = {"st_uid": 0, "st_gid": 0, "st_atime": self.now, "st_mtime": self.now, "st_ctime": self.now}
        if entry == "dir":
            base.update(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_size=0)
        elif isinstance(entry, tuple):
            base.update(st_mode=stat.S_IFLNK | 0o777, st_nlink=1, st_size=len(entry[1]))
        elif entry.exact_size:
            # A configuration file (etc/libvirt, etc/mdevctl.d) stats as its length; unreadable, as 0.
            try:
                size = len(entry.content())
            except OSError:
                size = 0
            base.update(st_mode=stat.S_IFREG | entry.mode, st_nlink=1, st_size=size)
        else:
            # sysfs reports every attribute as 4096 bytes long, whatever it holds.
            base.update(st_mode=stat.S_IFREG | entry.mode, st_nlink=1, st_size=4096)
        return base

    def readdir(self, path, fh):
        return [".", ".."] + self._call(self.model.readdir, path)

    def readlink(self, path):
        return self._call(self.model.readlink, path)

    @staticmethod
    def _uid():
        """uid of the process making the current request (the kernel's permission check is ours:
        the mount has no default_permissions)."""
        return mfusepy.fuse_get_context()[0]

    def open(self, path, flags):
        self._call(self.model.open, path, flags, self._uid())
        return 0

    def read(self, path, size, offset, fh):
        return self._call(self.model.read, path, size, offset)

    def write(self, path, data, offset, fh):
        return self._call(self.model.write, path, data, self._uid(), offset)

    def truncate(self, path, length, fh=None):
        # The shell's "echo x > attr" opens with O_TRUNC; sysfs ignores the truncation. A file of
        # etc/mdevctl.d is truncated.
        entry = self._call(self.model.lookup, path)
        if not isinstance(entry, Attr) or entry.on_write is None or self._uid() != 0:
            raise mfusepy.FuseOSError(errno.EACCES)
        self._call(self.model.truncate, path, length, self._uid())
        return 0

    # Only etc/mdevctl.d takes new files and directories (root only), as mdevctl define writes them.

    def create(self, path, mode, fi=None):
        self._call(self.model.create_file, path, self._uid())
        return 0

    def mkdir(self, path, mode):
        self._call(self.model.make_dir, path, self._uid())
        return 0

    def unlink(self, path):
        self._call(self.model.unlink, path, self._uid())
        return 0

    def rmdir(self, path):
        self._call(self.model.rmdir, path, self._uid())
        return 0

    def chmod(self, path, mode):
        # The modes are the kernel's (sysfs) and root's (etc/mdevctl.d); a chmod changes nothing.
        self._call(self.model.lookup, path)
        return 0

    def chown(self, path, uid, gid):
        self._call(self.model.lookup, path)
        return 0

    def utimens(self, path, times=None):
        self._call(self.model.lookup, path)
        return 0

    def statfs(self, path):
        return {"f_bsize": 4096, "f_namemax": 255}


def serve(model, mountpoint):
    """Mount ``model`` at ``mountpoint`` and serve until unmounted or signalled (SIGTERM, SIGINT).

    A stop by signal after the mount was served returns normally. libfuse's loop reports it as a
    failure (fuse_main's 8: the loop ended on a signal), which is no failure here. A mount that
    never served raises RuntimeError.
    """
    ops = FuseOps(model)
    try:
        _fuse(ops, mountpoint)
    except RuntimeError:
        if not ops.served:
            raise


def _fuse(ops, mountpoint):
    mfusepy.FUSE(
        ops,
        mountpoint,
        foreground=True,
        nothreads=True,
        # Every read and write goes to the model as one call, as on sysfs, and nothing is
        # cached, so a changed value (available_instances after create) is seen at once.
        direct_io=True,
        attr_timeout=0,
        entry_timeout=0,
        negative_timeout=0,
        fsname="mdev-sim",
        subtype="mdevsim",
        allow_other=True,
    )
