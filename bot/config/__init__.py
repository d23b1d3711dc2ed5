"""Configuration: ``schema`` (pure typed models) and ``loader`` (files, profiles, secrets).

Import from the submodules; this package initialiser stays empty so the pure core can import
``bot.config.schema`` without pulling in file or environment access.
"""
