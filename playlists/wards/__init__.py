"""Wards of a city on one platform: each with its own schema of station tables."""
