"""Zones (cụm loa) and the broadcast slots (khung giờ) assigned to them."""
