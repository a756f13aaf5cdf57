"""``python -m parcs`` runs the command line."""

import sys

from parcs.cli import main

sys.exit(main())
