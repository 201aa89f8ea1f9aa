"""ganexp: train, compare and understand GAN families with one command.

    from ganexp import train, load
    summary = train(["model=mlp", "dataset=ring8"])
    m = load(summary["run_dir"]); x = m.sample(1000)
"""

__all__ = ["load", "train"]


def __getattr__(name: str):
    # Imported lazily so `python -m ganexp --help` does not pay for torch and Lightning.
    if name == "train":
        from ganexp.train import train

        return train
    if name == "load":
        from ganexp.load import load

        return load
    raise AttributeError(name)
