"""Executes a notebook headless with the project's tslab kernel, started in the notebook's folder.

The kernel (scripts/tslab-kernel.js, registered by `npm run nb:kernel`) moves to the repository
root itself, so this runs a notebook exactly as Jupyter started in notebooks/ does.
Usage: /usr/bin/python3 scripts/run_notebook.py IN.ipynb OUT.ipynb [timeout_s]
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst = sys.argv[1], sys.argv[2]
timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 600
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
try:
    client.execute()
except CellExecutionError as err:
    nbformat.write(nb, dst)
    print(f"{src}: cell failed: {str(err).strip().splitlines()[-1] if str(err).strip() else err}", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, dst)
