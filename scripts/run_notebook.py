"""Executes a notebook headless with the tslab kernel, the repository root as the kernel's cwd.

tslab compiles project imports with rootDir = the kernel's cwd, so notebooks import `./src/...`
relative to the repository root; nbconvert cannot set the kernel cwd, nbclient can.
Usage: /usr/bin/python3 scripts/run_notebook.py IN.ipynb OUT.ipynb [timeout_s]
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst = sys.argv[1], sys.argv[2]
timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 600
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", resources={"metadata": {"path": "."}})
try:
    client.execute()
except CellExecutionError as err:
    nbformat.write(nb, dst)
    print(f"{src}: cell failed: {str(err).strip().splitlines()[-1] if str(err).strip() else err}", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, dst)
