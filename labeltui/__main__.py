"""Run labeltui as `python -m labeltui`."""

from labeltui.cli import main

raise SystemExit(main())
