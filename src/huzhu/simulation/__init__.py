"""Synthetic members and illness rates for demos, benchmarks and forecasts (not real data)."""

from huzhu.simulation.population import (
    INCIDENCE_CATEGORIES,
    SyntheticPerson,
    annual_incidence_per_million,
    generate_people,
)

__all__ = [
    "INCIDENCE_CATEGORIES",
    "SyntheticPerson",
    "annual_incidence_per_million",
    "generate_people",
]
