"""Prefect flows of the monev cycle, and the deployments compiled from each plan."""
