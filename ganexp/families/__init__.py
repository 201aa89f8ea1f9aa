"""One LightningModule per GAN family; each owns the alternating game and nothing else."""
