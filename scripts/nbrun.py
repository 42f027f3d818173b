#!/usr/bin/python3
"""Execute gdisent notebooks headless through the "Go (gdisent)" GoNB kernel and check their outputs.

A notebook passes when no cell errors and it shows at least `metadata.gdisent.min_images` image outputs
(image/png or image/svg+xml; default 1). Executed copies go to --out (default out/notebooks), figures the notebooks
export go to $GDISENT_OUT (default out/figures); checkpoints go to $GDISENT_RUNS (default notebooks/runs; a fresh
temporary directory in quick mode).

    scripts/nbrun.py notebooks/quickstart.ipynb          # full run
    scripts/nbrun.py --quick notebooks/*.ipynb           # quick mode (GDISENT_QUICK=1), as the tests do
    scripts/nbrun.py --keep notebooks/unrolled_ring.ipynb  # full run; its outputs go back into the notebook

--keep writes the outputs of a passing full run into the source notebook, lightened for the repository: an
image output that has a PNG loses its SVG twin, outputs that carry scripts (live widgets) are dropped, and the
progress display keeps only its final state.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError, CellTimeoutError

IMAGE_MIMES = ("image/png", "image/svg+xml")
ERROR_MARKERS = ("panic:", "ERROR failed to run", "exit status", "gonb: error")


def check(nb):
    """Returns (number of image outputs, list of problems found in the outputs)."""
    images, problems = 0, []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind in ("display_data", "execute_result", "update_display_data"):
                data = out.get("data", {})
                images += sum(1 for m in IMAGE_MIMES if m in data)
                html = data.get("text/html", "")
                images += html.count("data:image/png;base64")
            elif kind == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                for marker in ERROR_MARKERS:
                    if marker in text:
                        problems.append(f"cell {i}: stderr has {marker!r}: {text.strip()[:400]}")
                        break
    return images, problems


def run(path, args):
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("gdisent", {})
    want = int(meta.get("min_images", 1))
    client = NotebookClient(nb, kernel_name=args.kernel, timeout=args.timeout, allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    t0 = time.time()
    err = None
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, os.path.basename(path) + ".kernel.log"), "w")
    try:
        client.execute(stderr=log, stdout=log)
    except (CellExecutionError, DeadKernelError, CellTimeoutError) as e:
        err = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    finally:
        log.close()
    dt = time.time() - t0
    outpath = os.path.join(args.out, os.path.basename(path))
    nbformat.write(nb, outpath)
    images, problems = check(nb)
    if err:
        problems.insert(0, f"execution stopped: {err}")
    if images < want:
        problems.append(f"{images} image outputs, want at least {want}")
    status = "ok" if not problems else "FAILED"
    print(f"{status:6s} {path}: {images} images, {dt:.0f}s -> {outpath}", flush=True)
    for p in problems:
        print(f"       {p}", flush=True)
    if args.keep and not problems:
        nbformat.write(lighten(nb), path)
        print(f"       outputs kept in {path} ({os.path.getsize(path) // 1024} KB)", flush=True)
    return not problems


def lighten(nb):
    """Returns nb with outputs fit to commit: PNG kept over SVG, no script-carrying outputs, no execution times."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None:
                if "image/png" in data:
                    data.pop("image/svg+xml", None)
                if "<script" in data.get("text/html", ""):
                    continue
            kept.append(out)
        cell.outputs = kept
        cell.metadata.pop("execution", None)
    return nb


def use_this_checkout(kernel):
    """Makes `kernel` resolve to a copy of the installed spec whose GDISENT_ROOT is the checkout holding this script,
    so a test run executes this tree's code even when install.sh last ran in another checkout."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        sys.exit(f"nbrun: kernel {kernel!r} is not installed: run ./install.sh first")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = tempfile.mkdtemp(prefix="gdisent-kernel-")
    os.makedirs(os.path.join(base, "kernels", kernel))
    env = dict(spec.env or {})
    env["GDISENT_ROOT"] = root
    with open(os.path.join(base, "kernels", kernel, "kernel.json"), "w") as f:
        json.dump({"argv": spec.argv, "display_name": spec.display_name, "language": spec.language,
                   "interrupt_mode": spec.interrupt_mode, "env": env}, f)
    os.environ["JUPYTER_PATH"] = base + os.pathsep + os.environ.get("JUPYTER_PATH", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--quick", action="store_true", help="set GDISENT_QUICK=1: tiny runs, for tests")
    ap.add_argument("--out", default="out/notebooks", help="where executed notebooks are written")
    ap.add_argument("--kernel", default="gdisent", help="Jupyter kernel name (installed by install.sh)")
    ap.add_argument("--timeout", type=int, default=1800, help="per-cell timeout in seconds")
    ap.add_argument("--keep", action="store_true",
                    help="write the outputs of a passing full run back into the notebook (see above)")
    args = ap.parse_args()
    if args.keep and args.quick:
        sys.exit("nbrun: --keep is for full runs: quick-mode outputs are not results")
    if args.quick:
        os.environ["GDISENT_QUICK"] = "1"
    use_this_checkout(args.kernel)
    os.environ.setdefault("GDISENT_OUT", os.path.abspath("out/figures"))
    if args.quick:
        # Quick runs start from scratch: checkpoints of earlier runs must not stand in for training.
        os.environ["GDISENT_RUNS"] = tempfile.mkdtemp(prefix="gdisent-runs-")
    ok = all([run(p, args) for p in args.notebooks])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
