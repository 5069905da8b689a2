"""Repositories: every query lives here, never in services or endpoints."""
