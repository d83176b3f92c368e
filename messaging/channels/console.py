"""The console provider: prints SMS and messenger messages to standard output (development, demos,
benchmarks). Nothing leaves the machine; the provider's id is the message's key."""

import sys

from .base import Outgoing, Provider


class ConsoleProvider(Provider):
    name = "console"

    def send(self, outgoing: Outgoing) -> str:
        """Print the message (the address masked to its last 4 characters: standard output ends up in logs)
        and return its key."""
        stream = self.options.get("STREAM") or sys.stdout
        to = f"***{outgoing.address[-4:]}"
        stream.write(f"--- {outgoing.channel} to {to} (key {outgoing.key})\n{outgoing.text}\n")
        stream.flush()
        return outgoing.key
