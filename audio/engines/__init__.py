"""Text-to-speech engines (gTTS, espeak-ng, piper) and the chain that falls back between them."""
