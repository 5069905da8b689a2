"""Use cases for plans: publishing versions, activation, live figures and forecasts.

- activation: Plans that need members before they start (Fosun Huzhu: 300,000;…
- figures: Live figures for the public pages, kept for a short while.
- forecasts: Forecasts of a plan: read its rules and history through the unit of work, run the…
- preview: What publishing a plan file would change, shown before it is published.
- service: Installing plans and publishing new versions of their rules.
"""
