"""The station's lexicon: how abbreviations are read aloud, owned by the station's staff."""
