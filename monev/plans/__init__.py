"""Plan importers: text exports of ZI and RB decrees, and the canonical YAML form."""

from monev.plans.loader import load_plan

__all__ = ["load_plan"]
