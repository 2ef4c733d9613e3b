"""Models of the contributions app."""
