"""Forecast data files: assumptions, incidence, public figures and scenarios (TOML)."""
