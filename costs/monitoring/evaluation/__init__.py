"""The labelled evaluation set for the anomaly model, its scoring, and the naive baseline it must beat."""
