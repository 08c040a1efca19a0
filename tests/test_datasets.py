"""The torch Dataset over a build."""
import numpy as np
import torch

from s2i_lib.data.building import BuildConfig, build
from s2i_lib.data.datasets import PairDataset


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
