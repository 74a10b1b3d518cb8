"""Day plans: which bulletin airs in which slot on which zone, and why some did not fit."""
