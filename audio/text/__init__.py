"""How text is read aloud: normalising it, numbers in words, cutting it into chunks."""
