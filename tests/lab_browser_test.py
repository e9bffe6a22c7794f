"""JupyterLab (from the project's .venv, with ipywidgets) in headless Chromium runs a notebook with live widgets,
moves a slider with the keyboard and checks that the kernel saw the change; the screenshot is kept as an artifact.

usage: lab_browser_test.py JUPYTER_LAB NOTEBOOK.ipynb SCREENSHOT.png
The notebook's cells run in order; a cell that shows Controls.of(...) of a live SCFM run gets its teacher_ratio
slider moved while the run trains, then its stop button clicked; the last cell's output must name the change.
"""
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from browser_test import free_port, png_pixels, show_logs, start_chromium, stop_all, wait_http

APP = "window.jupyterapp"
NOTEBOOK_PANEL = f"Array.from({APP}.shell.widgets('main')).find(w => !!w.sessionContext)"


def until(dt, expression, what, timeout):
    """Waits for a page expression that may throw while JupyterLab is still loading."""
    try:
        return dt.until(f"(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()", what, timeout)
    except AssertionError:
        state = dt.js("(() => { try { const a = window.jupyterapp; if (!a) return 'no window.jupyterapp';"
                      " const w = Array.from(a.shell.widgets('main')).find(w => !!w.sessionContext); const k = w && w.sessionContext && w.sessionContext.session"
                      " && w.sessionContext.session.kernel; return 'widget ' + (w && w.constructor.name) + ', kernel '"
                      " + (k ? k.name + ' ' + k.connectionStatus + ' ' + k.status : 'none'); }"
                      " catch (e) { return 'page: ' + e; } })()")
        raise AssertionError(f"timed out after {timeout} s waiting for {what} ({state})")


SLIDERS = "Array.from(document.querySelectorAll('.widget-hslider')).map(s => s.textContent).join('|')"


def run_cell(dt, index):
    """Runs one cell through JupyterLab's own command, as a user's Shift-Enter would."""
    dt.js(f"(() => {{ const p = {NOTEBOOK_PANEL}; p.content.activeCellIndex = {index};"
          f" return {APP}.commands.execute('notebook:run-cell').then(() => true); }})()")


def cell_outputs_js(index):
    return f"""(() => {{ const m = {NOTEBOOK_PANEL}.content.model.cells.get({index});
        const outs = m.sharedModel.outputs || [];
        return JSON.stringify(outs); }})()"""


def main(lab, notebook, screenshot):
    work = tempfile.mkdtemp(prefix="flowlab-lab-browser-")
    procs = []
    try:
        shutil.copy(notebook, work)  # JupyterLab autosaves: never touch the repository's copy
        token, port = secrets.token_hex(16), free_port()
        cmd = [lab, "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={work}",
               f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        settings = os.path.join(work, "settings", "@jupyterlab", "apputils-extension")
        os.makedirs(settings)
        with open(os.path.join(settings, "notification.jupyterlab-settings"), "w") as f:
            json.dump({"fetchNews": "false", "checkForUpdates": False}, f)  # no news toast over the screenshot
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=os.path.join(work, "settings"))
        server = subprocess.Popen(cmd, stdout=open(os.path.join(work, "server.log"), "w"), stderr=subprocess.STDOUT,
                                  start_new_session=True, env=env)
        procs.append(server)
        wait_http(f"http://127.0.0.1:{port}/api/status?token={token}", "JupyterLab", server)
        dt = start_chromium(work, procs)
        name = os.path.basename(notebook)
        dt.call("Page.navigate", url=f"http://127.0.0.1:{port}/lab/tree/{name}?token={token}")
        until(dt, f"(() => {{ const p = {NOTEBOOK_PANEL}; return !!p && !!p.sessionContext && !!p.sessionContext.session"
                 " && !!p.sessionContext.session.kernel && p.sessionContext.session.kernel.connectionStatus === 'connected'"
                 " && p.sessionContext.session.kernel.status === 'idle'; })()", "the Flowlab kernel to connect", 90)
        kernel = dt.js(f"{NOTEBOOK_PANEL}.sessionContext.session.kernel.name")
        dt.js(f"(() => {{ {APP}.shell.activateById({NOTEBOOK_PANEL}.id); return true; }})()")  # commands act on it
        assert kernel == "flowlab", f"the notebook runs kernel {kernel!r}, not flowlab"
        cells = dt.js(f"{NOTEBOOK_PANEL}.content.model.cells.length")
        # every cell but the last: the run starts, its controls show
        for i in range(cells - 1):
            run_cell(dt, i)
        until(dt, "document.querySelectorAll('.widget-slider .noUi-handle').length >= 6",
                 "the live controls' sliders", 240)
        errors = dt.js("Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                       ".filter(e => e.textContent.includes('Error displaying widget')).length")
        assert errors == 0, "a widget failed to display"
        before = dt.js(SLIDERS)
        # move teacher_ratio: focus its handle, press the right arrow four times (4 steps of 0.05)
        dt.js("""(() => { const row = Array.from(document.querySelectorAll('.widget-hslider'))
                  .find(s => s.textContent.includes('teacher_ratio'));
                  row.scrollIntoView({block: 'center'}); row.querySelector('.noUi-handle').focus(); return true; })()""")
        for _ in range(4):
            for kind in ("keyDown", "keyUp"):
                dt.call("Input.dispatchKeyEvent", type=kind, key="ArrowRight", code="ArrowRight",
                        windowsVirtualKeyCode=39, nativeVirtualKeyCode=39)
            time.sleep(0.2)
        time.sleep(2)
        after = dt.js(SLIDERS)
        png = base64.b64decode(dt.call("Page.captureScreenshot", format="png")["data"])
        # stop the run with its button, then run the last cell: the run's knob log
        dt.js("""(() => { const b = Array.from(document.querySelectorAll('button.jupyter-button'))
                  .find(b => b.textContent.trim() === 'stop'); b.click(); return true; })()""")
        run_cell(dt, cells - 1)
        log = until(dt, f"(() => {{ const o = JSON.parse({cell_outputs_js(cells - 1)});"
                       " return o.length ? JSON.stringify(o) : ''; })()", "the knob log", 240)
        dt.close()
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        with open(screenshot, "wb") as f:
            f.write(png)
        moved = [s for s in after.split("|") if s.startswith("teacher_ratio")]
        assert moved and moved[0] != "teacher_ratio0.400", f"the slider did not move: {before} -> {after}"
        final = moved[0][len("teacher_ratio"):].rstrip("0")
        changes = json.loads(log)[0]["data"]["text/plain"].splitlines()[3:]
        ratio_changes = [line.split("|") for line in changes if "teacher_ratio" in line]
        assert ratio_changes, f"the run did not log the slider's change: {log[:2000]}"
        assert ratio_changes[-1][3].strip() == final, f"the last logged teacher_ratio is not the slider's {final}: {changes}"
        width, height, _ = png_pixels(png)
        print(f"lab_browser_test: JupyterLab ran {cells} cells in Chromium; teacher_ratio moved 0.4 -> {final} by"
              f" keyboard, {len(ratio_changes)} logged knob change(s) ending at {final}; screenshot {width}x{height}"
              f" -> {screenshot}")
    except Exception:
        show_logs(work)
        raise
    finally:
        stop_all(procs, work)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
