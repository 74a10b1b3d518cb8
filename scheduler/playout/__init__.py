"""Putting programmes on a zone's air: programmes, the player, channels, journals, airing."""
