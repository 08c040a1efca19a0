"""The torch Dataset over a build, and the array cache that must follow every rebuild."""
import shutil

import numpy as np
import torch

from s2i_lib.data.building import BuildConfig, build
from s2i_lib.data.datasets import PairDataset, load_arrays


def test_pair_dataset_items_and_batches(folder_corpus, tmp_path):
    out = tmp_path / "b"
    build(folder_corpus, "folder", out, BuildConfig(image_size=32, test_fraction=0.34), progress=False)
    train = PairDataset(out, "train")
    test = PairDataset(out, "test", classes=train.classes)
    assert train.classes == ["blue", "red"]
    assert len(train) + len(test) == 22
    item = train[0]
    assert item["image"].shape == (3, 32, 32) and 0 <= item["image"].min() and item["image"].max() <= 1
    assert item["waveform"].shape == (train.num_samples,) and train.num_samples == 11025
    assert item["label"] in (0, 1) and item["meta"]["split"] == "train"
    # a representation and a transform are applied per item
    spec = PairDataset(out, "train", representation=lambda w: torch.stft(w, 256, window=torch.hann_window(256),
                                                                      return_complex=True).abs(),
                       image_transform=lambda x: x[:, :16, :16])
    assert spec[0]["waveform"].ndim == 2 and spec[0]["image"].shape == (3, 16, 16)
    batch = torch.utils.data.default_collate([train[i] for i in range(4)])
    assert batch["image"].shape == (4, 3, 32, 32)
    # labels agree with the pictures: red images are redder than blue ones
    red = torch.stack([train[i]["image"] for i in range(len(train)) if train.classes[train[i]["label"]] == "red"])
    blue = torch.stack([train[i]["image"] for i in range(len(train)) if train.classes[train[i]["label"]] == "blue"])
    assert red[:, 0].mean() > blue[:, 0].mean() and blue[:, 2].mean() > red[:, 2].mean()
    assert np.array_equal(np.unique(train.labels()), [0, 1])


def test_arrays_follow_a_rebuild_with_other_settings(folder_corpus, tmp_path):
    out = tmp_path / "b"
    build(folder_corpus, "folder", out, BuildConfig(image_size=32), progress=False)
    manifest_32 = (out / "manifest.csv").read_bytes()
    assert load_arrays(out, progress=False).images.shape[2:] == (32, 32)
    build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False, overwrite=True)
    assert (out / "manifest.csv").read_bytes() == manifest_32      # the manifest alone cannot tell them apart
    arr = load_arrays(out, progress=False)
    assert arr.images.shape[2:] == (16, 16), f"stale arrays: images {arr.images.shape[2:]} after a 16 px rebuild"
    build(folder_corpus, "folder", out, BuildConfig(image_size=16, sample_rate=16000), progress=False, overwrite=True)
    arr = load_arrays(out, progress=False)
    assert arr.sample_rate == 16000 and arr.waves.shape[1] == 8000
    assert len(list(out.glob("arrays-*.npz"))) == 1                # no stale cache left behind


def test_fingerprint_is_the_data_key(folder_corpus, tmp_path):
    from s2i_lib import data
    out = tmp_path / "b"
    build(folder_corpus, "folder", out, BuildConfig(image_size=32), progress=False)
    fp32 = data.fingerprint(out)
    assert fp32 == data.fingerprint(out) and len(fp32) == 16
    moved = tmp_path / "elsewhere" / "b"
    shutil.copytree(out, moved)
    assert data.fingerprint(moved) == fp32                           # moving the data folder keeps it
    build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False, overwrite=True)
    assert data.fingerprint(out) != fp32                             # another setting changes it
    # a cache entry that does not hold the description it is filed under is not trusted
    arr = load_arrays(out, progress=False)
    cache_file = next(out.glob("arrays-*.npz"))
    np.savez(cache_file.with_suffix(""), waves=arr.waves[:, :10], images=arr.images, sample_rate=arr.sample_rate)
    again = load_arrays(out, progress=False)
    assert again.waves.shape == arr.waves.shape
