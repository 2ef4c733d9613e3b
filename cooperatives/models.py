"""Models of the cooperatives app."""
