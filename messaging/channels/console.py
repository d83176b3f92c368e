"""The console provider: prints SMS and messenger messages to standard output (development, demos,
benchmarks). Nothing leaves the machine; the provider's id is the message's key."""

import sys

from .base import Outgoing, Provider


class ConsoleProvider(Provider):
    name = "console"

    def send(self, outgoing: Outgoing) -> str:
        """Print the message (with its address: it is for the developer's eyes) and return its key."""
        stream = self.options.get("STREAM") or sys.stdout
        stream.write(f"--- {outgoing.channel} to {outgoing.address} (key {outgoing.key})\n{outgoing.text}\n")
        stream.flush()
        return outgoing.key
