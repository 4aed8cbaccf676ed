"""The team's labelled corpus of residents' opinions (see docs/nlp-labelling-guide.md)."""
