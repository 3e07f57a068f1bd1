"""The application: the latent-space explorer, the kiosk and the engine's demo scene."""
