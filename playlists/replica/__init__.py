"""Players at the loudspeakers: what a player keeps of its station, and what it sends back."""
