"""The application: the latent-space explorer and the command line."""
