"""The engine's pure core: what a sweep of one plan should do on a given day."""
