"""A small CNN trained once on a labelled image set: its penultimate layer is an offline feature
space for Frechet / kernel distances, and its predictions make mode collapse visible per class."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SmallCNN(nn.Module):
    """Two conv blocks and a 128-d feature layer; `features(x)` is what the distances compare."""

    num_features = 128

    def __init__(self, channels: int, size: int, classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * (size // 4) ** 2, self.num_features),
            nn.ReLU(),
        )
        self.head = nn.Linear(self.num_features, classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class Features(nn.Module):
    """The classifier's feature layer as a frozen module (what torchmetrics' FID/KID call)."""

    def __init__(self, classifier: SmallCNN):
        super().__init__()
        self.net, self.num_features = classifier.features, classifier.num_features
        self.requires_grad_(False).eval()

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def train_classifier(
    images: Tensor, labels: Tensor, steps: int = 500, seed: int = 0
) -> tuple[SmallCNN, float]:
    """Train on a fixed 80% split; return the model and its accuracy on the held-out 20%."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(images), generator=gen)
    cut = int(0.8 * len(images))
    train_idx, test_idx = order[:cut], order[cut:]
    torch.manual_seed(seed)
    model = SmallCNN(images.shape[1], images.shape[-1], int(labels.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        idx = train_idx[torch.randint(len(train_idx), (128,), generator=gen)]
        loss = F.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(images[idx]).argmax(1) for idx in test_idx.split(1000)])
    return model, (pred == labels[test_idx]).float().mean().item()


def load_or_train(images: Tensor, labels: Tensor, cache: Path) -> tuple[SmallCNN, float]:
    """The classifier cached at `cache`, trained and saved there on first use."""
    if cache.is_file():
        saved = torch.load(cache, weights_only=True)
        model = SmallCNN(images.shape[1], images.shape[-1], saved["classes"])
        model.load_state_dict(saved["state_dict"])
        return model.eval(), saved["accuracy"]
    model, accuracy = train_classifier(images, labels)
    cache.parent.mkdir(parents=True, exist_ok=True)
    classes = model.head.out_features
    torch.save({"state_dict": model.state_dict(), "accuracy": accuracy, "classes": classes}, cache)
    return model, accuracy
