"""The one cache-key helper and the one atomic writer (s2i_lib.cache)."""
from __future__ import annotations

import multiprocessing as mp
import os
import stat

import pytest

from s2i_lib import cache


def test_equal_descriptions_give_equal_keys_and_any_change_another():
    a = {"size": 32, "rate": 22050, "classes": ["dog", "drum"], "nested": {"x": (1, 2)}}
    b = {"nested": {"x": [1, 2]}, "classes": ["dog", "drum"], "rate": 22050, "size": 32}
    assert cache.cache_key(a) == cache.cache_key(b) and cache.matches(a, b)
    for change in ({"size": 16}, {"rate": 16000}, {"classes": ["drum", "dog"]}, {"nested": {"x": (1, 3)}}):
        assert cache.cache_key({**a, **change}) != cache.cache_key(a)
        assert not cache.matches({**a, **change}, a)


def test_atomic_write_leaves_the_old_file_on_error_and_no_temporaries(tmp_path):
    target = tmp_path / "out.json"
    cache.write_json(target, {"v": 1})

    def broken(tmp):
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        cache.atomic_write(target, broken)
    assert cache.read_json(target) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert mode & 0o044, oct(mode)            # readable by others as an ordinary file, not mkstemp's 0600


def _writer(args):
    path, k = args
    for i in range(30):
        cache.write_text(path, f"{k}:" + "x" * 20000 + f":{i}\n")
    return k


def test_concurrent_writers_never_leave_a_torn_file(tmp_path):
    path = tmp_path / "shared.txt"
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_writer, [(path, 0), (path, 1)])
    text = path.read_text()
    k, body, i = text.rstrip("\n").split(":")
    assert k in ("0", "1") and body == "x" * 20000 and i == "29"
    assert [p.name for p in tmp_path.iterdir()] == ["shared.txt"]


def test_text_is_utf8(tmp_path):
    cache.write_json(tmp_path / "u.json", {"name": "Fréchet"})
    assert (tmp_path / "u.json").read_bytes().decode("utf-8").count("Fréchet") == 1
