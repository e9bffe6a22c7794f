"""The classic Notebook (Debian's jupyter-notebook) in headless Chromium runs a notebook with the Flowlab kernel;
the screenshot, kept as a test artifact, shows the schedule plot.

usage: browser_test.py NOTEBOOK.ipynb SCREENSHOT.png
Drives Chromium through the DevTools protocol (tornado's websocket client; no extra packages) and checks the page
itself: every cell ran without an error, the plots decoded, the first plot is in view, and the screenshot holds its
colours.
"""
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

from tornado import ioloop, websocket

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,1400"]
PALETTE_BLUE = (0x4E, 0x79, 0xA7)  # the first series of every Flowlab chart


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, what, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{what} did not answer at {url} in {timeout} s")


def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


class Devtools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url):
        self.loop = ioloop.IOLoop.current()
        self.conn = self.loop.run_sync(lambda: websocket.websocket_connect(ws_url, max_message_size=256 << 20))
        self.next_id = 0

    def call(self, method, timeout=60, **params):
        self.next_id += 1
        msg_id = self.next_id

        async def roundtrip():
            await self.conn.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                msg = json.loads(await self.conn.read_message())
                if msg.get("id") == msg_id:
                    if "error" in msg:
                        raise AssertionError(f"{method}: {msg['error']}")
                    return msg["result"]

        return self.loop.run_sync(roundtrip, timeout=timeout)

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def until(self, expression, what, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def close(self):
        self.conn.close()


def start_chromium(work, procs):
    """Headless Chromium with a 1280x1400 page, its DevTools client connected (the process joins procs)."""
    cdp_port = free_port()
    chrome = subprocess.Popen(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={work}/chrome",
                               f"--remote-debugging-port={cdp_port}", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "chrome.log"), "w"),
                              start_new_session=True)
    procs.append(chrome)
    wait_http(f"http://127.0.0.1:{cdp_port}/json/version", "Chromium", chrome)
    pages = [t for t in json.loads(wait_http(f"http://127.0.0.1:{cdp_port}/json", "Chromium", chrome))
             if t["type"] == "page"]
    dt = Devtools(pages[0]["webSocketDebuggerUrl"])
    dt.call("Page.enable")
    dt.call("Emulation.setDeviceMetricsOverride", width=1280, height=1400, deviceScaleFactor=1, mobile=False)
    return dt


def show_logs(work):
    """The last lines of the server's and the browser's logs, after a failure."""
    for log in ("server.log", "chrome.log"):
        path = os.path.join(work, log)
        if os.path.exists(path):
            sys.stderr.write(f"--- {log} (last lines)\n" + "".join(open(path).readlines()[-30:]))


def stop_all(procs, work):
    """Stops every process group started (newest first), then removes the scratch directory."""
    for p in reversed(procs):
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    shutil.rmtree(work, ignore_errors=True)


PROGRESS = """(() => {
  const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code');
  const imgs = Array.from(document.querySelectorAll('.output_area img'));
  return JSON.stringify({
    cells: cells.length,
    done: cells.every(c => typeof c.input_prompt_number === 'number'),
    errors: cells.filter(c => c.output_area.outputs.some(o => o.output_type === 'error'))
                 .map(c => c.output_area.outputs.find(o => o.output_type === 'error').evalue),
    images: imgs.length,
    decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    idle: Jupyter.notebook.kernel_busy === false || Jupyter.notebook.kernel_busy === undefined });
})()"""


def main(notebook, screenshot):
    work = tempfile.mkdtemp(prefix="flowlab-browser-")
    procs = []
    try:
        shutil.copy(notebook, work)  # the Notebook autosaves: never touch the repository's copy
        token, nb_port = secrets.token_hex(16), free_port()
        server_cmd = ["jupyter-notebook", "--no-browser", "--ip=127.0.0.1", f"--port={nb_port}",
                      f"--notebook-dir={work}", f"--NotebookApp.token={token}"]
        if os.geteuid() == 0:
            server_cmd.append("--allow-root")
        server = subprocess.Popen(server_cmd, stdout=open(os.path.join(work, "server.log"), "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(server)
        wait_http(f"http://127.0.0.1:{nb_port}/api/status?token={token}", "the Notebook server", server)

        dt = start_chromium(work, procs)
        name = os.path.basename(notebook)
        dt.call("Page.navigate", url=f"http://127.0.0.1:{nb_port}/notebooks/{name}?token={token}")
        dt.until("typeof Jupyter !== 'undefined' && !!Jupyter.notebook && !!Jupyter.notebook.kernel"
                 " && Jupyter.notebook.kernel.is_connected()", "the Flowlab kernel to connect", 180)
        assert dt.js("Jupyter.notebook.kernel.name") == "flowlab", "the notebook did not pick the Flowlab kernel"
        dt.js("Jupyter.notebook.execute_all_cells(); true")
        dt.until(f"(() => {{ const p = JSON.parse({PROGRESS}); return p.done && p.idle; }})()",
                 "all cells to run", 300)
        progress = json.loads(dt.js(PROGRESS))
        assert not progress["errors"], f"cells failed in the browser: {progress['errors']}"
        assert progress["decoded"] >= 6, f"expected the schedule plots on the page, got {progress}"
        # the first plot (flux-dev vs sd3 vs qwen-image) at the top of the screen
        rect = json.loads(dt.js("""(() => { const img = document.querySelector('.output_area img');
            img.scrollIntoView({block: 'start'}); window.scrollBy(0, -60);
            const r = img.getBoundingClientRect();
            return JSON.stringify({top: r.top, bottom: r.bottom, width: r.width, height: r.height,
                                   inner: window.innerHeight}); })()"""))
        time.sleep(0.5)
        assert rect["top"] >= 0 and rect["bottom"] <= rect["inner"] and rect["width"] >= 600, rect
        png = base64.b64decode(dt.call("Page.captureScreenshot", format="png")["data"])
        dt.close()
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        with open(screenshot, "wb") as f:
            f.write(png)
        width, height, rows = png_pixels(png)
        top, bottom = int(rect["top"]), int(min(rect["bottom"], height))
        blue = sum(1 for y in range(top, bottom) for p in rows[y] if p == PALETTE_BLUE)
        assert blue > 200, f"the screenshot does not show the plot's curves ({blue} palette-blue pixels)"
        print(f"browser_test: {progress['cells']} cells ran in Chromium, {progress['decoded']} pictures;"
              f" screenshot {width}x{height} with the plot in view -> {screenshot}")
    except Exception:
        show_logs(work)
        raise
    finally:
        stop_all(procs, work)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
