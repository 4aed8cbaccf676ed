"""Channel adapters: each turns a messenger's updates into core `Inbound`s and renders replies."""
