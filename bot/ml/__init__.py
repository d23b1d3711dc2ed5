"""The price-direction model: dataset from recordings, walk-forward validation, training, model files."""
