"""The interfaces the application needs, as ``typing.Protocol`` classes.

Adapters and fakes implement them without inheriting from them.
"""
