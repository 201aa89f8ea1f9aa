"""Names that more than one module reads (kept free of imports, so the command line stays fast)."""

# what the critic says about the distance between the two distributions, by family: the progress
# metric of the console bar and of a sweep when no `metric` is chosen
PROGRESS_METRICS = ("train/w_estimate", "train/js_estimate")

# normalisation layers of the nets, by name (nets/norm.py); the MLP generator takes the first three
NORMS = ("none", "batch", "layer", "spectral")
GENERATOR_NORMS = NORMS[:3]

# the objectives a loss can name (losses/__init__.py), the generator losses of the diagnostics,
# f-GAN's divergences and generator objectives (losses/fdivergence.py), LAPGAN's level-0 nets
GAME_OBJECTIVES = ("gan", "ns", "hinge", "lsgan", "wgan")
OBJECTIVE_NAMES = (*GAME_OBJECTIVES, "fgan", "elbo")
DIVERGENCES = ("kl", "reverse_kl", "pearson", "neyman", "hellinger", "js", "gan")
F_G_OBJECTIVES = ("bound", "ns")
COARSEST = ("conv", "mlp")

# the ops of the differentiable augmentation (augment.py), in the order a policy usually lists them
AUGMENT_OPS = ("color", "translation", "cutout", "flip")
