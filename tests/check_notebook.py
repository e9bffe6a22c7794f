"""Checks executed notebooks: every code cell ran, none failed, and the pictures are there.

usage: check_notebook.py EXECUTED.ipynb...
       check_notebook.py --committed NOTEBOOK.ipynb...   (as committed: outputs cleared, no execution counts)
"""
import json
import sys

import nbformat


def check(path):
    nbformat.validate(nbformat.read(path, as_version=4))  # a valid nbformat 4 file, whoever wrote it
    nb = json.load(open(path, encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path}: no code cells"
    pngs = 0
    for i, cell in enumerate(code, 1):
        assert cell.get("execution_count"), f"{path}: code cell {i} did not run"
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path}: code cell {i} failed: {out.get('ename')}: {out.get('evalue')}"
            data = out.get("data", {})
            if "image/png" in data:
                assert len(data["image/png"]) > 1000, f"{path}: code cell {i} has an empty picture"
                pngs += 1
            if data:
                assert "text/plain" in data, f"{path}: code cell {i} has an output without text/plain"
    assert pngs > 0, f"{path}: no image/png output at all"
    text = json.dumps(nb)
    if "01-schedules" in path:
        assert pngs >= 6, f"{path}: expected the six schedule plots, found {pngs} pictures"
        # the re-shift pitfall: the slow list as Flux's dynamic-shift scheduler turns it at 1024^2
        for value in ("0.99331623", "0.98614567", "0.97843315", "0.97011479"):
            assert value in text, f"{path}: re-shifted sigma {value} missing"
    if "04-glance-vs-scfm" in path:
        # the comparison's two tables: the procedure (passes counted) and the quality rows of every method
        for value in ("Glance vs SCFM: what each needs", "teacher passes per training step", "scfm-phased@3",
                      "glance@10", "scfm@3", "held-out"):
            assert value in text, f"{path}: '{value}' missing from the comparison"
    print(f"check_notebook: {path}: {len(code)} code cells ran, {pngs} pictures")


def check_committed(path):
    nb = json.load(open(path, encoding="utf-8"))
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        assert not cell.get("outputs") and cell.get("execution_count") is None, \
            f"{path}: code cell {i + 1} is committed with outputs or an execution count; clear them (the notebooks ship clean)"
    print(f"check_notebook: {path}: committed clean")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--committed"]:
        for p in sys.argv[2:]:
            check_committed(p)
    else:
        for p in sys.argv[1:]:
            check(p)
