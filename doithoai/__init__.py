"""The composition root: reads the configuration and wires the core to its adapters.

The only package that names concrete adapters (the SQLite store, the Telegram and Zalo
channels, the console, the operator routes). Nothing imports it but tests and benchmarks.
"""
