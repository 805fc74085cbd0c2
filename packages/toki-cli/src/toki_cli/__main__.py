"""``python -m toki_cli`` runs the ``toki`` command."""

from toki_cli.app import main

raise SystemExit(main())
