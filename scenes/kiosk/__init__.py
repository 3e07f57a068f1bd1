"""Installation (kiosk) mode: an attract-mode tour, visitors with a gamepad, mouse or keys, a TOML config."""
