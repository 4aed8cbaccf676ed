"""The Zalo channel: residents talk to the same core through the Zalo Bot API."""
