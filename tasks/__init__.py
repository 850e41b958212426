"""Prefect tasks: the small effectful steps the flows are made of (above the portal)."""
