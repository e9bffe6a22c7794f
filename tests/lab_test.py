"""`./flowlab lab --no-browser --port P` serves Jupyter with the Flowlab kernel, token auth on.

usage: lab_test.py PATH/TO/flowlab PORT   (tests/run points JUPYTER_DATA_DIR at a scratch directory)
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def get(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


def main(flowlab, port):
    token = secrets.token_hex(16)
    log = tempfile.NamedTemporaryFile("w+", prefix="flowlab-lab-", suffix=".log", delete=False)
    env = dict(os.environ, JUPYTER_TOKEN=token)
    proc = subprocess.Popen([flowlab, "lab", "--no-browser", "--port", str(port), "--no-install"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"flowlab lab exited with {proc.returncode}:\n" + open(log.name).read())
            try:
                status, body = get(base + "/api/kernelspecs", token)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline:
                    raise AssertionError("the server did not answer in 120 s:\n" + open(log.name).read())
                time.sleep(0.5)
        specs = json.loads(body)["kernelspecs"]
        assert "flowlab" in specs, f"no flowlab kernel in {sorted(specs)}"
        spec = specs["flowlab"]["spec"]
        assert spec["display_name"] == "Java (Flowlab)", spec
        assert spec["interrupt_mode"] == "message", spec
        assert spec["language"] == "java", spec
        try:
            get(base + "/api/kernelspecs")
            raise AssertionError("the API answered without the token: authentication must stay on")
        except urllib.error.HTTPError as e:
            assert e.code in (401, 403), e.code
        print(f"lab_test: GET /api/kernelspecs lists flowlab ({len(specs)} kernels); without the token: refused")
    finally:
        stop(proc)
        os.unlink(log.name)


def stop(proc):
    """SIGTERM to the launcher's process group (the JVM passes it on to the server), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
