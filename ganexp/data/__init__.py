"""LightningDataModules: toy distributions, bundled digits, torchvision image sets."""
