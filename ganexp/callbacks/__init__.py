"""Optional rules of the game as Lightning callbacks: penalties, clipping, budget, sample pictures."""
