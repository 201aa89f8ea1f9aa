"""A user's own GAN pieces, kept outside ganexp: a loss, a data set and a critic penalty."""
