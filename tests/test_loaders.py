"""The on-disk datasets run through torchvision's real readers: tiny files in each real format
(MNIST / Fashion-MNIST IDX, CIFAR-10 pickled batches, an ImageFolder of PNGs, the CelebA layout),
then a few training steps, labels included for the conditional model.

CIFAR-10 and CelebA check the md5 sums of the published files before reading; the tiny files
here cannot match them, so that one check becomes "the file exists", and everything else is
torchvision's.
"""

import os
import pickle
import struct

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from ganexp.build import build_datamodule
from ganexp.config import make_plan
from ganexp.train import compose

STEPS = ["train.g_steps=3", "train.batch_size=8", "eval.num_samples=64"]


@pytest.fixture(autouse=True)
def _brief_classifier(monkeypatch):
    """The evaluation's classifier is not what these tests read (tests/test_image_metrics.py
    checks it): on these tiny files it trains for a few steps and is not cached."""
    from ganexp.metrics import classifier, images

    brief = lambda x, y, cache: classifier.train_classifier(x, y, steps=5)  # noqa: E731
    monkeypatch.setattr(images, "load_or_train", brief)


def pixels(n: int, h: int, w: int, c: int | None = None) -> np.ndarray:
    """Image i is flat with grey level 10 * i + 5 (so every image is told apart after reading)."""
    shape = (n, h, w) if c is None else (n, h, w, c)
    values = (10 * np.arange(n) + 5).astype(np.uint8)
    return np.broadcast_to(values.reshape(-1, *[1] * (len(shape) - 1)), shape).copy()


def write_idx(folder, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, h, w) + images.tobytes()
    )
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.astype(np.uint8).tobytes()
    )


def mnist_layout(root, name: str, n: int = 20):
    images, labels = pixels(n, 28, 28), np.arange(n) % 10
    for prefix in ("train", "t10k"):
        write_idx(root / name / "raw", prefix, images, labels)
    return images, labels


def cifar_layout(root, n: int = 20):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    images, labels = pixels(n, 32, 32, 3), np.arange(n) % 10
    data = images.transpose(0, 3, 1, 2).reshape(n, -1)  # CIFAR's rows: R plane, G, B
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels.tolist()}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    return images, labels


def folder_layout(root, classes=("cats", "dogs"), per_class: int = 4):
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            grey = 40 * k + 10 * i
            Image.new("RGB", (40, 30), (grey, grey, grey)).save(root / name / f"{i}.png")


def celeba_layout(root, n: int = 6):
    base = root / "celeba"
    (base / "img_align_celeba").mkdir(parents=True)
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, name in enumerate(names):
        Image.new("RGB", (178, 218), (30 * i, 20, 200 - 30 * i)).save(base / "img_align_celeba" / name)
    split = [0] * (n - 2) + [1, 2]  # the last two are validation and test images
    (base / "list_eval_partition.txt").write_text(
        "".join(f"{f} {s}\n" for f, s in zip(names, split))
    )
    (base / "identity_CelebA.txt").write_text("".join(f"{f} {i}\n" for i, f in enumerate(names)))
    attrs = ["Smiling", "Young"]
    (base / "list_attr_celeba.txt").write_text(
        f"{n}\n{' '.join(attrs)}\n" + "".join(f"{f} 1 -1\n" for f in names)
    )
    (base / "list_bbox_celeba.txt").write_text(
        f"{n}\nimage_id x_1 y_1 width height\n" + "".join(f"{f} 1 2 3 4\n" for f in names)
    )
    (base / "list_landmarks_align_celeba.txt").write_text(
        f"{n}\nlefteye_x lefteye_y\n" + "".join(f"{f} 69 109\n" for f in names)
    )
    return n - 2


@pytest.mark.parametrize("name,cls", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_idx_files_are_read_with_their_labels(tmp_path, fit, name, cls):
    images, labels = mnist_layout(tmp_path / "data", cls)
    cfg = compose([f"dataset={name}", f"dataset.root={tmp_path / 'data'}"])
    dm = build_datamodule(make_plan(cfg))
    dm.setup("fit")
    assert dm.shape == (1, 32, 32) and len(dm.data) == len(images) and dm.num_classes == 10
    # grey level g becomes g / 255 * 2 - 1, the same over the whole (resized) image
    want = torch.as_tensor(images[:, 0, 0] / 255.0 * 2 - 1, dtype=torch.float32)
    assert torch.allclose(dm.data[:, 0, 16, 16], want, atol=1e-5)
    assert torch.equal(dm.labels, torch.as_tensor(labels))

    s = fit(["model=dcgan", f"dataset={name}", f"dataset.root={tmp_path / 'data'}",
             "model.conditional=true", "loss=ns", *STEPS])
    assert s["g_steps"] == 3 and s["config"]["model"]["conditional"] is True


def exists(fpath, md5=None) -> bool:
    return os.path.isfile(fpath)


def test_cifar10_batches_are_read_with_their_labels(tmp_path, fit, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", exists)
    images, labels = cifar_layout(tmp_path / "data")
    cfg = compose(["dataset=cifar10", f"dataset.root={tmp_path / 'data'}"])
    dm = build_datamodule(make_plan(cfg))
    dm.setup("fit")
    assert dm.shape == (3, 32, 32) and dm.num_classes == 10
    # five training batches of 20 images each
    assert len(dm.data) == 5 * len(images)
    want = torch.as_tensor(images[:, 0, 0, 0] / 255.0 * 2 - 1, dtype=torch.float32)
    assert torch.allclose(dm.data[: len(images), 1, 5, 7], want, atol=1e-5)
    assert torch.equal(dm.labels[: len(labels)], torch.as_tensor(labels))

    s = fit(["model=dcgan", "dataset=cifar10", f"dataset.root={tmp_path / 'data'}",
             "model.conditional=true", "loss=hinge", *STEPS])
    assert s["g_steps"] == 3


def test_an_image_folder_gives_its_class_folders_as_labels(tmp_path, fit):
    folder_layout(tmp_path / "pictures")
    cfg = compose(["dataset=image_folder", f"dataset.root={tmp_path / 'pictures'}",
                   "dataset.image_size=16"])
    dm = build_datamodule(make_plan(cfg))
    dm.setup("fit")
    assert dm.shape == (3, 16, 16) and dm.num_classes == 2
    x, y = dm.sample_labelled(64, torch.Generator().manual_seed(0))
    assert x.shape == (64, 3, 16, 16) and set(y.tolist()) == {0, 1}
    # class k holds grey levels 40k + 10i: the label says which folder an image came from
    grey = ((x[:, 0, 8, 8] + 1) / 2 * 255).round()
    assert all(40 * k <= g < 40 * k + 40 for g, k in zip(grey.tolist(), y.tolist()))

    s = fit(["model=dcgan", "dataset=image_folder", f"dataset.root={tmp_path / 'pictures'}",
             "dataset.image_size=16", "model.conditional=true", "loss=ns", *STEPS,
             "+dataset.datamodule.num_workers=1"])  # one worker process reads the files
    assert s["g_steps"] == 3


def test_celeba_layout_is_read(tmp_path, fit, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.celeba, "check_integrity", exists)
    n_train = celeba_layout(tmp_path / "data")
    cfg = compose(["dataset=celeba", f"dataset.root={tmp_path / 'data'}", "dataset.image_size=16"])
    dm = build_datamodule(make_plan(cfg))
    dm.setup("fit")
    assert len(dm.dataset) == n_train and dm.num_classes is None
    x = dm.sample(8, torch.Generator().manual_seed(0))
    assert x.shape == (8, 3, 16, 16) and -1 <= x.min() and x.max() <= 1

    s = fit(["model=dcgan", "dataset=celeba", f"dataset.root={tmp_path / 'data'}",
             "dataset.image_size=16", "loss=ns", *STEPS])
    assert s["g_steps"] == 3


def test_celeba_has_no_labels_for_a_conditional_model(tmp_path, monkeypatch):
    from ganexp.errors import ConfigError

    monkeypatch.setattr(torchvision.datasets.celeba, "check_integrity", exists)
    celeba_layout(tmp_path / "data")
    from ganexp import train

    with pytest.raises(ConfigError, match="dataset=celeba has none; allowed datasets are .*image_folder"):
        train(["logger=none", "dataset=celeba", f"dataset.root={tmp_path / 'data'}",
               "dataset.image_size=16", "model.conditional=true"], run_dir=tmp_path / "run")
