"""`python -m meshreenact ...`: the same command line as the `meshreenact` console script (`cli.main`). Hand-written, not exported."""
from .cli import main

raise SystemExit(main())
