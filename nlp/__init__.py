"""Vietnamese text processing: normalisation now; topic tagging and screening build on it."""

from nlp.normalize import clean_text, fold

__all__ = ["clean_text", "fold"]
