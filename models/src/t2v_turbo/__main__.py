"""`python -m t2v_turbo` runs the companion's command line (t2v_turbo.cli)."""

from .cli import main

raise SystemExit(main())
