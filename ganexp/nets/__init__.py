"""Plain nn.Modules, no Lightning. Every generator maps (n, z_dim) noise to (n, *shape) data;
every discriminator maps (n, *shape) data to (n,) logits."""
