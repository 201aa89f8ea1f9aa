import os
import tempfile
import warnings

import pytest

os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")

# A short, quiet run: tests add their own overrides after these.
FAST = [
    "logger=none",
    "trainer.enable_progress_bar=false",
    "train.batch_size=32",
    "train.sample_every=1000",
    "train.checkpoint_every=1000",
    "eval.every_n_g_steps=1000",
    "eval.num_samples=500",
    "eval.inception=false",
    f"eval.cache_dir={tempfile.mkdtemp(prefix='ganexp-classifiers-')}",  # one classifier per session
]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture
def fit(tmp_path):
    """Train with the Python API in a fresh directory: fit(overrides, run="a", callbacks=())."""
    from ganexp import train

    def _fit(overrides, run="run", callbacks=()):
        return train([*FAST, *overrides], run_dir=tmp_path / run, callbacks=callbacks)

    return _fit
