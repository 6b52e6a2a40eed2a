"""The benchmark harness (``make bench``): every figure is a ratio to a raw baseline measured in the same run."""
