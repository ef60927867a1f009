"""Bayesian analysis of collapse under uncertain bias (arrives with the inference issue)."""
