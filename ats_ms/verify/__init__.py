"""Device checks: run the MindSpore Cells and compare them with the numpy reference computed in float64."""
