"""The audio layer: text read aloud, speech engines, sound files and mastering."""
