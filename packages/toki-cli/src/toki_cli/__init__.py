"""The ``toki`` command: ``toki chat``, ``toki ask``, ``toki models`` and ``toki tokens``.

Run ``toki --help``; the entry point is :func:`toki_cli.app.main`.
"""

from toki_cli.app import main

__all__ = ["main"]
