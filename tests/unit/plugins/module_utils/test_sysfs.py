# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import MAX_VALUE_BYTES, Sysfs
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import Link


def test_read_strips_one_trailing_newline(tree):
    fs = Sysfs(tree({"a": b"value\n\n", "b": b"plain"}))
    assert fs.read("a") == ("value\n", None)
    assert fs.read("b") == ("plain", None)


def test_read_absent_attribute_is_enoent_with_path(tree):
    root = tree({"dir": None})
    value, err = Sysfs(root).read("dir/missing")
    assert value is None
    assert err.errno == "ENOENT"
    assert err.path == os.path.join(os.path.realpath(root), "dir/missing")


def test_read_directory_reports_errno(tree):
    err = Sysfs(tree({"dir": None})).read("dir")[1]
    assert err.errno == "EISDIR"


def test_read_non_utf8_is_eilseq(tree):
    err = Sysfs(tree({"bad": b"\xff\xfe\n"})).read("bad")[1]
    assert err.errno == "EILSEQ"
    assert "UTF-8" in err.message


def test_read_limit_is_exactly_4096_bytes(tree):
    fs = Sysfs(tree({"full": b"x" * MAX_VALUE_BYTES, "over": b"x" * (MAX_VALUE_BYTES + 1)}))
    value, err = fs.read("full")
    assert err is None and len(value) == MAX_VALUE_BYTES
    value, err = fs.read("over")
    assert value is None and err.errno == "EOVERFLOW"


def test_read_uses_one_bounded_read(tree, monkeypatch):
    fs = Sysfs(tree({"a": "1"}))
    calls = []
    real_read = os.read

    def spy(fd, n):
        calls.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", spy)
    fs.read("a")
    assert calls == [MAX_VALUE_BYTES + 1]


def test_read_int(tree):
    fs = Sysfs(tree({"n": "12", "neg": "-1", "word": "twelve"}))
    assert fs.read_int("n") == (12, None)
    assert fs.read_int("neg", signed=True) == (-1, None)
    value, err = fs.read_int("word")
    assert value is None and err.errno == "EINVAL" and "twelve" in err.message


@pytest.mark.parametrize("text", ["1_000", "-1", "+1", " 12", "12 ", "0x10", "\u0661\u0662", "\uff11", "1" * 21, ""])
def test_read_int_is_strict_ascii_decimal(tree, text):
    fs = Sysfs(tree({"n": text}))
    value, err = fs.read_int("n")
    assert value is None and err.errno == "EINVAL"


def test_read_int_signed_allows_one_minus_only(tree):
    fs = Sysfs(tree({"a": "-1", "b": "--1", "c": "-"}))
    assert fs.read_int("a", signed=True) == (-1, None)
    assert fs.read_int("b", signed=True)[1].errno == "EINVAL"
    assert fs.read_int("c", signed=True)[1].errno == "EINVAL"
    assert fs.read_int("a")[1].errno == "EINVAL"


def test_link_escaping_root_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("s\n")
    fs = Sysfs(tree({"escape": Link(str(outside)), "rel": Link("../../../../../../../../etc")}))
    value, err = fs.read("escape/secret")
    assert value is None and err.errno == "EXDEV" and "outside" in err.message
    names, err = fs.listdir("rel")
    assert names is None and err.errno == "EXDEV"
    name, err = fs.link_name("escape")
    assert name is None and err.errno == "EXDEV"


def test_dotdot_in_path_cannot_leave_root(tree):
    fs = Sysfs(tree({"a": "1"}))
    value, err = fs.read("../../../../etc/hostname")
    assert value is None and err.errno == "EXDEV"


def test_link_name_and_dangling(tree):
    fs = Sysfs(tree({"t/x": None, "l": Link("t/x"), "d": Link("t/nothing")}))
    assert fs.link_name("l") == ("x", None)
    assert fs.link_name("t/x") == (None, None)
    name, err = fs.link_name("d")
    assert name is None and err.errno == "ENOENT" and "dangling" in err.message


def test_listdir_absent_is_empty_and_sorted(tree):
    fs = Sysfs(tree({"d/b": "1", "d/a": "1"}))
    assert fs.listdir("nothing") == ([], None)
    assert fs.listdir("d") == (["a", "b"], None)
    names, err = fs.listdir("d/a")
    assert names is None and err.errno == "ENOTDIR"


def test_write_once_single_write_without_create_or_trunc(tree, monkeypatch):
    root = tree({"attr": "old"})
    fs = Sysfs(root)
    opened, writes = [], []
    real_open, real_write = os.open, os.write
    monkeypatch.setattr(os, "open", lambda p, f, *a: opened.append(f) or real_open(p, f, *a))
    monkeypatch.setattr(os, "write", lambda fd, d: writes.append(d) or real_write(fd, d))
    assert fs.write_once("attr", b"new") == (3, None)
    assert writes == [b"new"]
    assert opened[0] & os.O_ACCMODE == os.O_WRONLY
    assert not opened[0] & (os.O_CREAT | os.O_TRUNC | os.O_APPEND)


def test_write_once_absent_attribute_creates_nothing(tree):
    root = tree({"d": None})
    written, err = Sysfs(root).write_once("d/attr", b"x")
    assert written is None and err.errno == "ENOENT"
    assert not os.path.exists(os.path.join(root, "d/attr"))


def test_write_once_outside_root_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("out")
    (outside / "f").write_text("keep")
    fs = Sysfs(tree({"esc": Link(str(outside))}))
    written, err = fs.write_once("esc/f", b"x")
    assert written is None and err.errno == "EXDEV"
    assert (outside / "f").read_text() == "keep"


def test_write_once_refuses_an_attribute_that_is_a_link_inside_the_root(tree):
    root = tree({"real/attr": "keep", "d/attr": Link("real/attr")})
    fs = Sysfs(root)
    written, err = fs.write_once("d/attr", b"x")
    assert written is None and err.errno == "ELOOP" and "symbolic link" in err.message
    with open(os.path.join(root, "real/attr")) as handle:
        assert handle.read() == "keep\n"
    # the positive control: the real attribute is written
    assert fs.write_once("real/attr", b"x") == (1, None)


def test_read_without_following_refuses_a_link(tree):
    fs = Sysfs(tree({"real/attr": "v", "d/attr": Link("real/attr")}))
    assert fs.read("d/attr") == ("v", None)
    assert fs.read("d/attr", follow=False)[1].errno == "ELOOP"
    assert fs.read("real/attr", follow=False) == ("v", None)
