"""Models, data sets, training, bundles, TF.js import. Knows nothing of GL."""
