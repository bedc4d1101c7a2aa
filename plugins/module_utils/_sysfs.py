# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one sysfs access layer of the collection (PRIVATE to the collection).

Every read and write the collection makes goes through ``Sysfs``. It is rooted like
mdevctl's environment root: all paths are relative to ``root`` (``/sys`` on a real host, a
simulated tree in tests), links are resolved, and a path whose resolution leaves the root is
refused, as is a path through a loop of links (the kernel refuses it too). Failures come back as
``SysfsError`` values carrying the errno name and the path, so a scan can record them and go on;
nothing here raises on an I/O error. ``Sysfs.opendir`` gives a ``SysfsDir``, the same reads for
the entries of one directory opened once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re

# sysfs_emit() never returns more than PAGE_SIZE; the migration-version RFC bounds values by
# PATH_MAX. Both are 4096, so one read of one byte more tells a legal value from an oversized one.
from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import MAX_VALUE_BYTES  # noqa: F401

# errno names used for refusals that are not a syscall's own errno.
EOUTSIDE = "EXDEV"      # the path resolves outside the root
EDECODE = "EILSEQ"      # the value is not valid UTF-8
ETOOBIG = "EOVERFLOW"   # the value is longer than MAX_VALUE_BYTES
ENOTINT = "EINVAL"      # the value should be an integer and is not
ELINK = "ELOOP"         # an attribute that must not be a link is one

# sysfs integers as the kernel prints them ("%d", "%u"): ASCII decimal digits, at most 20 (2**64
# has 20 digits). No sign unless asked for, no "0x", no "_", no blanks, no other script's digits.
_UNSIGNED = re.compile(r"[0-9]{1,20}\Z")
_SIGNED = re.compile(r"-?[0-9]{1,20}\Z")


def errno_name(number):
    """Symbolic name of an errno number (``EIO``), or ``E<number>`` when unknown."""
    if number == errno.EOPNOTSUPP:
        # Linux gives ENOTSUP and EOPNOTSUPP one number; sysfs drivers return -EOPNOTSUPP.
        return "EOPNOTSUPP"
    return errno.errorcode.get(number, "E%s" % number)


_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# A directory opened only to look names up in it needs no read permission (as a lookup through
# its path needs none): O_PATH where the system has it.
_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)
# Reads relative to a directory descriptor need openat(2) and listing an open directory; without
# them (not Linux) every read takes the path-based way.
_DIR_FD = os.open in os.supports_dir_fd and os.listdir in os.supports_fd


def _close(fd):
    # close(2) on a sysfs attribute has nothing left to report once the read or write has
    # returned; an error here must not mask the answer the kernel already gave.
    try:
        os.close(fd)
    except OSError:
        pass


def _read_fd(fd):
    """One bounded ``read(2)`` of an open attribute, which is then closed."""
    try:
        return os.read(fd, MAX_VALUE_BYTES + 1)
    finally:
        _close(fd)


def _decode(data, abspath, relpath):
    """``(text, None)`` of an attribute's bytes with one trailing newline stripped, or
    ``(None, SysfsError)`` naming ``abspath(relpath)`` (built only for an error)."""
    if len(data) > MAX_VALUE_BYTES:
        return None, SysfsError(abspath(relpath), ETOOBIG, "value is longer than %d bytes" % MAX_VALUE_BYTES)
    try:
        text = data.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        return None, SysfsError(abspath(relpath), EDECODE, "value is not valid UTF-8 (byte %d)" % exc.start)
    if text.endswith("\n"):
        text = text[:-1]
    return text, None


def _as_int(result, signed, abspath, relpath):
    """The ``(text, err)`` of a read as ``(int, None)``, or ``(None, SysfsError)``."""
    text, err = result
    if err:
        return None, err
    if (_SIGNED if signed else _UNSIGNED).match(text):
        return int(text), None
    return None, SysfsError(abspath(relpath), ENOTINT, "value %r is not %s decimal integer"
                            % (text[:64], "a" if signed else "an unsigned"))


class _Loop(Exception):
    pass


# The kernel follows at most 40 links in one lookup, and gives ELOOP beyond (MAXSYMLINKS). Here
# they are counted per link resolved, not per lookup: a path through two long chains can pass
# where the kernel refuses it, and then still resolves inside or outside the root as checked.
_MAX_LINKS = 40
# The resolution of a path that has none: NUL, then ELOOP for a loop of links (or more than
# _MAX_LINKS of them), else the errno of a link of the path that could not be read. It is never
# inside the root, so every access through it is refused before any syscall (its NUL would make
# one raise ValueError rather than open something).
_NO_PATH = "\x00"
_LOOP = _NO_PATH + "ELOOP"


def _resolve_target(link, chain, hops):
    """What the link ``link`` leads to, its directory taken as resolved: ``_realpath_of_link``.
    ``chain`` holds the links being resolved around this one (a loop comes back to one of them),
    ``hops`` counts the links followed so far in this resolution."""
    hops[0] += 1
    if link in chain or hops[0] > _MAX_LINKS:
        raise _Loop()
    chain.add(link)
    target = os.readlink(link)
    path = "" if target.startswith("/") else link[:link.rfind("/")]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            path = path[:path.rfind("/")]   # path has no links, so ".." is lexical
            continue
        path += "/" + part
        if os.path.islink(path):
            path = _resolve_target(path, chain, hops)
    chain.discard(link)     # resolved: met again later in the target (a/../a) it is no loop
    return path or "/"


def _realpath_of_link(link):
    """``os.path.realpath(link)`` for a link whose directory part has no links (a cached
    resolution): only the link's target is walked, not every component from ``/`` again, which
    costs a parent's links a dozen ``lstat`` each. A loop gives ``_LOOP``, where the kernel gives
    ELOOP: ``realpath``'s own answer for a loop is the rest of the path joined unresolved, and
    before Python 3.13 it keeps links that lead out of the root. A link that cannot be read (gone
    since it was seen, or a process's link in ``/proc`` that has no target) gives ``_NO_PATH``
    and readlink's errno: where it leads is unknown, so the path cannot be confined (before
    Python 3.13 ``realpath`` raises the error, and from 3.13 it answers the path unresolved)."""
    try:
        return _resolve_target(link, set(), [0])
    except _Loop:
        return _LOOP
    except OSError as exc:
        return _NO_PATH + errno_name(exc.errno)


def root_problem(root, name="sysfs_root"):
    """Why ``root`` cannot be a root (a sentence naming the option ``name``), or None."""
    if not isinstance(root, str) or not root or "\x00" in root:
        return "%s %r is not a usable path" % (name, root)
    if not os.path.isdir(root):
        return "%s %r is not a directory" % (name, root)
    return None


class SysfsError:
    """An attribute that could not be read or written: where, which errno, and why."""

    __slots__ = ("path", "errno", "message")

    def __init__(self, path, errno_, message):
        self.path = path
        self.errno = errno_
        self.message = message

    @classmethod
    def from_oserror(cls, path, exc):
        return cls(path, errno_name(exc.errno), exc.strerror or str(exc))

    def as_dict(self):
        return {"path": self.path, "errno": self.errno, "message": self.message}

    def __repr__(self):
        return "SysfsError(%r, %r, %r)" % (self.path, self.errno, self.message)


class Sysfs:
    """Rooted, bounded, link-checking access to a sysfs tree.

    Paths given to the methods are relative to the root (``class/mdev_bus``); the paths in
    results and errors are absolute, as a user would ``cat`` them.
    """

    def __init__(self, root="/sys"):
        self.root = os.path.realpath(root)
        self._prefix = self.root.rstrip("/") + "/"
        # Resolved directories: a scan reads thousands of attributes in a few hundred
        # directories, and resolving each full path again costs one lstat per component.
        self._real_dirs = {}

    # -- paths -----------------------------------------------------------------------------

    def abspath(self, relpath):
        """Absolute, unresolved path of ``relpath`` under the root."""
        relpath = relpath.lstrip("/")
        return self._prefix + relpath if relpath else self.root

    def _inside(self, real):
        return real == self.root or real.startswith(self._prefix)

    def _real_dir(self, head):
        """``head`` with every link resolved, built on its parent's cached resolution so that
        each new directory costs one lstat."""
        real = self._real_dirs.get(head)
        if real is None:
            parent, name = os.path.split(head)
            if parent == head or not parent.startswith(self.root):
                real = os.path.realpath(head)       # the root or above it: no link of the tree
            elif name in ("", ".", ".."):
                real = self._dot_entry(self._real_dir(parent), name)
            else:
                real = self._real_dir(parent) + "/" + name
                if os.path.islink(real):
                    real = _realpath_of_link(real)
            if real.startswith(_NO_PATH) and not real.startswith(_LOOP):
                return real     # a link that could not be read may be read later: not remembered
            self._real_dirs[head] = real
        return real

    def _real(self, relpath):
        """``(shown, real)`` absolute paths: ``real`` has every link resolved."""
        path = self.abspath(relpath)
        head, tail = os.path.split(path)
        if tail in ("", ".", ".."):
            return path, self._dot_entry(self._real_dir(head), tail)
        real = self._real_dir(head) + "/" + tail
        if os.path.islink(real):
            real = _realpath_of_link(real)
        return path, real

    @staticmethod
    def _dot_entry(real_dir, name):
        """The entry ``name`` (``""``, ``.`` or ``..``) of the resolved directory ``real_dir``:
        that directory has no links, so ``..`` is its parent."""
        return os.path.dirname(real_dir) if name == ".." and not real_dir.startswith(_NO_PATH) else real_dir

    def _outside(self, shown, real):
        if real.startswith(_LOOP):
            return SysfsError(shown, "ELOOP", "goes through a loop of symbolic links (or more than %d of them)"
                              % _MAX_LINKS)
        if real.startswith(_NO_PATH):
            # Not readlink's errno: where the link leads is unknown (inside the root or not), and
            # its errno is no answer of the kernel about the attribute (EINVAL when the link was
            # replaced, which a probe would take for a refusal).
            return SysfsError(shown, EOUTSIDE, "goes through a symbolic link that cannot be read (%s), so it "
                                               "cannot be confined to the sysfs root" % real[1:].split("/")[0])
        return SysfsError(shown, EOUTSIDE, "resolves to %s, outside the sysfs root %s" % (real, self.root))

    def resolve(self, relpath):
        """Resolve every link in ``relpath``.

        Returns ``(relative_real_path, None)``, or ``(None, SysfsError)`` when the resolution
        leaves the root.
        """
        path, real = self._real(relpath)
        if not self._inside(real):
            return None, self._outside(path, real)
        return real[len(self._prefix):] if real != self.root else ".", None

    def _open(self, relpath, flags, follow=True, mode=0o644):
        """Open an attribute whose resolved path stays inside the root: ``(fd, None)``.

        Fast path: the directory is resolved once and cached, and the attribute itself is opened
        with O_NOFOLLOW (sysfs attributes are never links). Only when it is a link (ELOOP) is
        the full path resolved and checked; with ``follow=False`` a link is refused instead,
        even one that stays inside the root. Raises OSError, or returns ``(None, SysfsError)``.
        """
        shown = self.abspath(relpath)
        head, tail = os.path.split(shown)
        if tail not in ("", ".", ".."):
            real_head = self._real_dir(head)
            if not self._inside(real_head):
                return None, self._outside(shown, real_head)
            try:
                return os.open(real_head + "/" + tail, flags | _O_NOFOLLOW, mode), None
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                if not follow:
                    return None, SysfsError(shown, ELINK, "is a symbolic link; a sysfs attribute never is one, "
                                                          "so it is not opened")
        elif not follow:
            return None, SysfsError(shown, "EISDIR", "is not an attribute")
        shown, real = self._real(relpath)
        if not self._inside(real):
            return None, self._outside(shown, real)
        return os.open(real, flags, mode), None

    def exists(self, relpath):
        """True when the entry exists (a dangling link counts as absent)."""
        return os.path.exists(self.abspath(relpath))

    def is_link(self, relpath):
        """True when ``relpath`` itself is a symbolic link (dangling or not)."""
        return os.path.islink(self.abspath(relpath))

    def link_name(self, relpath):
        """Base name of what the link ``relpath`` points to, checked to stay inside the root.

        Returns ``(name, None)``, ``(None, None)`` when there is no such link, or
        ``(None, SysfsError)`` when it is dangling or escapes.
        """
        path = self.abspath(relpath)
        if not self.is_link(relpath):
            return None, None
        real, err = self.resolve(relpath)
        if err:
            return None, err
        if not os.path.exists(self.abspath(real)):
            try:
                target = os.readlink(path)
            except OSError as exc:      # gone since it was seen: a link that vanished
                return None, SysfsError.from_oserror(path, exc)
            return None, SysfsError(path, "ENOENT", "dangling link to %s" % target)
        return os.path.basename(real), None

    def listdir(self, relpath):
        """Sorted entries of a directory: ``(names, None)`` or ``(None, SysfsError)``.

        A directory that does not exist is an empty list: absence of an optional part of the
        ABI (no ``class/mdev_bus`` on a host without mdev) is not an error.
        """
        real, err = self.resolve(relpath)
        if err:
            return None, err
        path = self.abspath(real)
        try:
            return sorted(os.listdir(path)), None
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return [], None
            return None, SysfsError.from_oserror(self.abspath(relpath), exc)

    # -- values ----------------------------------------------------------------------------

    def read(self, relpath, follow=True):
        """Read one attribute with one bounded ``read(2)``.

        Returns ``(text, None)`` with one trailing newline stripped, or ``(None, SysfsError)``:
        the syscall's errno, ``EXDEV`` for a path outside the root, ``EILSEQ`` for bytes that
        are not UTF-8, ``EOVERFLOW`` for more than 4096 bytes, and with ``follow=False``
        ``ELOOP`` for an attribute that is a symbolic link.
        """
        try:
            fd, err = self._open(relpath, os.O_RDONLY | _O_CLOEXEC, follow)
            if fd is None:
                return None, err
            data = _read_fd(fd)
        except OSError as exc:
            return None, SysfsError.from_oserror(self.abspath(relpath), exc)
        return _decode(data, self.abspath, relpath)

    def read_int(self, relpath, signed=False):
        """Read a decimal integer attribute: ``(int, None)`` or ``(None, SysfsError)``.

        Only ASCII digits (with ``signed``, one leading ``-``), at most 20 of them: what the
        kernel prints with ``%u``/``%d``. ``1_000``, ``0x10``, `` 12``, ``+1`` or digits of another
        script are not integers of sysfs and give ``EINVAL``.
        """
        return _as_int(self.read(relpath), signed, self.abspath, relpath)

    def opendir(self, relpath):
        """A ``SysfsDir`` to read several entries of one directory with one lookup of its path.

        Close it (or use it in a ``with`` block): it holds a descriptor while open.
        """
        return SysfsDir(self, relpath)

    def write_once(self, relpath, data, create=False):
        """Write ``data`` (bytes) with exactly one unbuffered ``write(2)``.

        The descriptor is opened write-only without ``O_CREAT`` or ``O_TRUNC`` (sysfs has
        neither) and with ``O_NOFOLLOW``: an attribute that is a symbolic link is refused
        (``ELOOP``) and nothing is written, even when the link stays inside the root. Nothing is
        retried: the kernel's answer to this one call is the result. With ``create`` (a file of
        a configuration directory, not sysfs) the file is created (mode 0644) or truncated.
        Returns ``(bytes_written, None)`` or ``(None, SysfsError)``.
        """
        shown = self.abspath(relpath)
        flags = os.O_WRONLY | _O_CLOEXEC | ((os.O_CREAT | os.O_TRUNC) if create else 0)
        try:
            fd, err = self._open(relpath, flags, follow=False)
        except OSError as exc:
            return None, SysfsError.from_oserror(shown, exc)
        if fd is None:
            return None, err
        try:
            return os.write(fd, data), None
        except OSError as exc:
            return None, SysfsError.from_oserror(shown, exc)
        finally:
            _close(fd)

    def _open_dir(self, relpath):
        """A descriptor of the directory ``relpath`` when it is a plain directory (not a link)
        whose resolved path is inside the root, else None."""
        shown = self.abspath(relpath)
        head, tail = os.path.split(shown)
        if not _DIR_FD or tail in ("", ".", ".."):
            return None
        real_head = self._real_dir(head)
        if not self._inside(real_head):
            return None
        try:
            # O_NOFOLLOW: a directory that is a link fails (ENOTDIR) instead of being followed.
            return os.open(real_head + "/" + tail, _O_PATH | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
        except OSError:
            return None

    def _entry_op(self, relpath, operation):
        """``operation(path)`` on an entry whose directory resolves inside the root; the entry
        itself is not followed. Returns ``(True, None)`` or ``(None, SysfsError)``."""
        shown = self.abspath(relpath)
        head, tail = os.path.split(shown)
        real_head = self._real_dir(head)
        if tail in ("", ".", "..") or not self._inside(real_head):
            return None, self._outside(shown, real_head)
        try:
            operation(real_head + "/" + tail)
        except OSError as exc:
            return None, SysfsError.from_oserror(shown, exc)
        return True, None

    def mkdir(self, relpath):
        """Create one directory (mode 0755) of a configuration directory."""
        return self._entry_op(relpath, lambda path: os.mkdir(path, 0o755))

    def unlink(self, relpath):
        """Remove one file of a configuration directory (a link is removed, never followed)."""
        return self._entry_op(relpath, os.unlink)


def _plain_name(name):
    """True for one entry's name: relative to a directory descriptor nothing else is checked."""
    return bool(name) and "/" not in name and name not in (".", "..")


class SysfsDir:
    """One directory of a ``Sysfs`` tree, opened once, whose entries are read by name.

    A type's attributes are read together: the directory is resolved and checked against the
    root as any path is, then opened (O_NOFOLLOW), and each entry is opened relative to that
    descriptor with O_NOFOLLOW. An entry costs no lookup of the directory's path and no
    ``realpath``, and what is read is in the directory that was checked even if its path is
    changed meanwhile. Whatever this fast way cannot decide alone - an entry that is a link, a
    name that is not one plain entry (``..``, ``a/b``), a directory that is a link or could not be
    opened - takes the path-based ``Sysfs`` method, so results, refusals and errors are theirs.
    """

    __slots__ = ("fs", "relpath", "_fd")

    def __init__(self, fs, relpath):
        self.fs = fs
        self.relpath = relpath
        self._fd = fs._open_dir(relpath)    # pylint: disable=protected-access

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._fd is not None:
            _close(self._fd)
            self._fd = None

    def path(self, name):
        """Path of the entry ``name`` relative to the root."""
        return os.path.join(self.relpath, name)

    def abspath(self, name):
        return self.fs.abspath(self.path(name))

    def _openat(self, name, flags):
        """A descriptor of ``name`` opened in this directory, never through a link; None when
        the path-based way must decide (raises OSError otherwise)."""
        if self._fd is None or not _plain_name(name):
            return None
        try:
            return os.open(name, flags | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=self._fd)
        except OSError as exc:
            # ELOOP: a link; ENOTDIR: a link where a directory was asked for (or not a
            # directory, which the path-based way reports the same).
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                return None
            raise

    def read(self, name, follow=True):
        """``Sysfs.read`` of the entry ``name``."""
        try:
            fd = self._openat(name, os.O_RDONLY)
            if fd is None:
                return self.fs.read(self.path(name), follow)
            data = _read_fd(fd)
        except OSError as exc:
            return None, SysfsError.from_oserror(self.abspath(name), exc)
        return _decode(data, self.abspath, name)

    def read_int(self, name, signed=False):
        """``Sysfs.read_int`` of the entry ``name``."""
        return _as_int(self.read(name), signed, self.abspath, name)

    def listdir(self, name):
        """``Sysfs.listdir`` of the entry ``name``."""
        try:
            fd = self._openat(name, os.O_RDONLY | _O_DIRECTORY)
            if fd is None:
                return self.fs.listdir(self.path(name))
            try:
                return sorted(os.listdir(fd)), None
            finally:
                _close(fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return [], None
            return None, SysfsError.from_oserror(self.abspath(name), exc)
