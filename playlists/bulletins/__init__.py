"""Bulletins (tin, bài): the editorial workflow, their topics and their audio."""
