"""A minimal scene that exercises the engine (axes, a coloured cube, a test pattern) until the explorer exists."""
