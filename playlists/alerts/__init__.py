"""Alerts (cảnh báo): problems on air that staff must see until someone clears them."""
