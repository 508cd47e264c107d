"""assets hub: national campaign materials, branded by each local library."""

__version__ = "0.1.0"
