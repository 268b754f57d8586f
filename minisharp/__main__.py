"""``python -m minisharp``: see :mod:`minisharp.cli`."""

from .cli import main

raise SystemExit(main())
