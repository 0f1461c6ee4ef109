"""`python -m app.cli …` — the same as the `sohoa` console script."""

from app.cli import main

main()
