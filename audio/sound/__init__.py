"""Sound itself: audio files through pydub, PCM samples, loudness and mastering."""
