"""Persistence adapters: implementations of the core's repository ports (`bot.ports`)."""
