"""The rules of meetlink, as pure functions and value objects (stdlib + attrs only).

Nothing here reads a clock, a database or the network: ``now`` is always an argument.
"""
