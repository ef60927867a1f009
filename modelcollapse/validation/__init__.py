"""Monte Carlo random walks (arrives with the simulation issue)."""
