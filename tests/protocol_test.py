"""Protocol behaviour the jupyter_kernel_test suite does not cover, through a real jupyter_client.

interrupt (sleeping cell, tight loop, library loop: reply within 2 s, next cell works), stop_on_error,
silent/store_history, update_display_data, output from background threads after the cell finished, widgets over
comms (a slider moved by the front end and by code), messages
with a bad signature or unreadable JSON (dropped, never executed, kernel keeps working), shutdown and restart.
"""
import hashlib
import hmac
import json
import time
import unittest
import uuid

import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 60
INTERRUPT_REPLY_LIMIT = 2.0  # seconds, from the interrupt request to the interrupted cell's reply (issue 3)


class Kernel:
    """One kernel and its client, with helpers that pair replies and IOPub messages with their request."""

    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name="flowlab", startup_timeout=TIMEOUT)
        self.pending = []  # iopub messages read while waiting for something else

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)

    def reply(self, msg_id, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.time()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def iopub(self, timeout):
        if self.pending:
            return self.pending.pop(0)
        return self.kc.get_iopub_msg(timeout=timeout)

    def outputs(self, msg_id, timeout=TIMEOUT):
        """IOPub messages of a request up to its idle status (status messages left out)."""
        out = []
        deadline = time.time() + timeout
        while True:
            msg = self.iopub(max(0.01, deadline - time.time()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    return out
                continue
            out.append(msg)

    def run(self, code, **kw):
        msg_id = self.kc.execute(code, **kw)
        reply = self.reply(msg_id)
        return reply, self.outputs(msg_id)

    def wait_for_stream(self, msg_id, text, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self.iopub(max(0.01, deadline - time.time()))
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" and text in msg["content"]["text"]:
                return
        raise AssertionError(f"no output {text!r} from {msg_id}")

    def result_text(self, code):
        reply, outs = self.run(code)
        assert reply["content"]["status"] == "ok", reply["content"]
        results = [m for m in outs if m["msg_type"] == "execute_result"]
        return results[0]["content"]["data"]["text/plain"] if results else None


class ProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kernel()

    @classmethod
    def tearDownClass(cls):
        cls.k.close()

    def interrupt_running(self, code, started="started"):
        k = self.k
        msg_id = k.kc.execute('{ System.out.println("%s");\n%s\n}' % (started, code))
        k.wait_for_stream(msg_id, started)
        time.sleep(0.3)
        t0 = time.time()
        k.km.interrupt_kernel()
        reply = k.reply(msg_id, timeout=30)
        elapsed = time.time() - t0
        k.outputs(msg_id)
        self.assertEqual("error", reply["content"]["status"])
        self.assertEqual("Interrupted", reply["content"]["ename"], reply["content"])
        self.assertLess(elapsed, INTERRUPT_REPLY_LIMIT, f"interrupt reply after {elapsed:.2f} s")
        self.assertEqual("2", k.result_text("1 + 1"), "the next cell works")
        return reply, elapsed

    def test_interrupt_sleeping_cell(self):
        reply, _ = self.interrupt_running("Thread.sleep(600_000);")
        self.assertIn("InterruptedException", "\n".join(reply["content"]["traceback"]))

    def test_interrupt_tight_loop(self):
        self.interrupt_running("long n = 0;\nwhile (n >= 0) { n++; if (n == Long.MAX_VALUE) n = 0; }")

    def test_interrupt_library_loop(self):
        reply, _ = self.interrupt_running(
            "new EulerSweep(GaussianMixture2D.ring(8, 2, 0.1), IntStream.generate(() -> 20_000).limit(10_000).toArray(),"
            " 64, 1, 0).run(ProgressListener.NONE);")
        self.assertIn("RunInterruptedException", "\n".join(reply["content"]["traceback"]),
                      "the loop stopped at its own Interruption.check")

    def test_stop_on_error_aborts_queued_cells(self):
        k = self.k
        failing = k.kc.execute('{ Thread.sleep(300); throw new IllegalStateException("first fails"); }')
        queued = [k.kc.execute("1 + 1"), k.kc.execute('System.out.println("must not run");')]
        self.assertEqual("error", k.reply(failing)["content"]["status"])
        for q in queued:
            r = k.reply(q)
            self.assertEqual("aborted", r["content"]["status"], r["content"])
            self.assertEqual([], [m for m in k.outputs(q) if m["msg_type"] == "stream"])
        self.assertEqual("2", k.result_text("1 + 1"), "cells after the queue run again")

    def test_without_stop_on_error_queued_cells_run(self):
        k = self.k
        failing = k.kc.execute('{ Thread.sleep(300); throw new IllegalStateException("x"); }', stop_on_error=False)
        queued = k.kc.execute("40 + 2")
        self.assertEqual("error", k.reply(failing)["content"]["status"])
        self.assertEqual("ok", k.reply(queued)["content"]["status"])
        self.assertIn("42", json.dumps([m["content"] for m in k.outputs(queued)]))

    def test_silent_and_store_history(self):
        k = self.k
        count = k.run("1")[0]["content"]["execution_count"]
        reply, outs = k.run('System.out.println("quiet"); 5', silent=True)
        self.assertEqual(count, reply["content"]["execution_count"], "silent does not count")
        kinds = [m["msg_type"] for m in outs]
        self.assertNotIn("execute_input", kinds)
        self.assertNotIn("execute_result", kinds)
        reply, outs = k.run("6", store_history=False)
        self.assertEqual(count, reply["content"]["execution_count"], "store_history=False does not count")
        self.assertIn("execute_result", [m["msg_type"] for m in outs], "but shows its result")
        self.assertEqual(count + 1, k.run("7")[0]["content"]["execution_count"])

    def test_update_display_data(self):
        reply, outs = self.k.run('String id = display("first");\nupdateDisplay(id, "second");')
        self.assertEqual("ok", reply["content"]["status"])
        shown = [m for m in outs if m["msg_type"] == "display_data"]
        updated = [m for m in outs if m["msg_type"] == "update_display_data"]
        self.assertEqual(1, len(shown))
        self.assertEqual(1, len(updated))
        display_id = shown[0]["content"]["transient"]["display_id"]
        self.assertEqual(display_id, updated[0]["content"]["transient"]["display_id"])
        self.assertEqual("first", shown[0]["content"]["data"]["text/plain"])
        self.assertEqual("second", updated[0]["content"]["data"]["text/plain"])

    def test_background_output_after_the_cell_finished(self):
        k = self.k
        msg_id = k.kc.execute(
            "var job = Demos.eulerSweep(new EulerSweep(GaussianMixture2D.ring(8, 2, 0.15), new int[] {1, 2, 4, 8},"
            " 400, 1, 300));\n"
            'new Thread(() -> { try { Thread.sleep(500); } catch (InterruptedException e) { }'
            ' System.out.println("from a thread"); }).start();')
        self.assertEqual("ok", k.reply(msg_id)["content"]["status"])
        during = k.outputs(msg_id)
        self.assertEqual(1, len([m for m in during if m["msg_type"] == "display_data"]), "the live display opened")
        later, deadline = [], time.time() + 30
        while time.time() < deadline:
            msg = k.iopub(max(0.01, deadline - time.time()))
            if msg["parent_header"].get("msg_id") == msg_id:
                later.append(msg)
                if msg["msg_type"] == "update_display_data" and "4/4" in msg["content"]["data"]["text/plain"]:
                    break
        kinds = [m["msg_type"] for m in later]
        self.assertIn("update_display_data", kinds, "the job updated its display after the cell finished")
        self.assertIn("done", later[-1]["content"]["data"]["text/plain"])
        self.assertIn("image/png", later[-1]["content"]["data"])
        self.assertTrue(any(m["msg_type"] == "stream" and "from a thread" in m["content"]["text"] for m in later),
                        "a thread's print lands under the cell that started it")

    def test_widgets_speak_the_comm_protocol_both_ways(self):
        k = self.k
        reply, outs = k.run('var knob = new java.util.concurrent.atomic.AtomicReference<Double>(0.5);\n'
                            'Slider.of("knob", 0, 1, 0.1, knob::get, knob::set)')
        self.assertEqual("ok", reply["content"]["status"], reply["content"])
        opens = [m for m in outs if m["msg_type"] == "comm_open"]
        self.assertEqual(3, len(opens), "layout, style, then the slider")
        for m in opens:
            self.assertEqual("jupyter.widget", m["content"]["target_name"])
            self.assertEqual("2.1.0", m["metadata"]["version"])
        slider = opens[-1]["content"]
        state = slider["data"]["state"]
        self.assertEqual("FloatSliderModel", state["_model_name"])
        self.assertEqual("@jupyter-widgets/controls", state["_model_module"])
        self.assertEqual(0.5, state["value"])
        self.assertEqual("IPY_MODEL_" + opens[0]["content"]["comm_id"], state["layout"])
        result = [m for m in outs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertEqual(slider["comm_id"], result["application/vnd.jupyter.widget-view+json"]["model_id"])
        self.assertEqual("knob = 0.5000", result["text/plain"], "the text a front end without widgets shows")
        info = k.kc.comm_info(target_name="jupyter.widget")
        comms = k.reply(info)["content"]["comms"]
        self.assertIn(slider["comm_id"], comms)

        # the user moves the slider: the bound value follows
        msg = k.kc.session.msg("comm_msg", {"comm_id": slider["comm_id"],
                                            "data": {"method": "update", "state": {"value": 0.8}, "buffer_paths": []}})
        k.kc.shell_channel.send(msg)
        self.assertEqual("0.8", k.result_text("knob.get()"))

        # code changes the value: the slider follows
        k.run("knob.set(0.2);")
        deadline = time.time() + 10
        while True:
            m = k.iopub(max(0.01, deadline - time.time()))
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == slider["comm_id"]:
                self.assertEqual({"method": "update", "state": {"value": 0.2}, "buffer_paths": []}, m["content"]["data"])
                break

    def test_bad_signature_is_dropped_and_the_kernel_keeps_working(self):
        k = self.k
        info = k.km.get_connection_info()
        url = f"{info['transport']}://{info['ip']}:{info['shell_port']}"
        ctx = zmq.Context.instance()
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(url)
        try:
            forged = Session(key=b"not-the-connection-key", signature_scheme="hmac-sha256")
            msg = forged.msg("execute_request", {"code": 'System.out.println("SHOULD-NOT-RUN");', "silent": False,
                                                  "store_history": True, "user_expressions": {}, "allow_stdin": False,
                                                  "stop_on_error": True})
            forged.send(sock, msg)
            # correctly signed, but the content is not JSON: dropped as unreadable
            key = info["key"].encode() if isinstance(info["key"], str) else info["key"]
            header = json.dumps({"msg_id": uuid.uuid4().hex, "username": "t", "session": uuid.uuid4().hex,
                                 "date": "2025-01-01T00:00:00Z", "msg_type": "execute_request",
                                 "version": "5.3"}).encode()
            parts = [header, b"{}", b"{}", b"{not json"]
            sig = hmac.new(key, digestmod=hashlib.sha256)
            for p in parts:
                sig.update(p)
            sock.send_multipart([b"<IDS|MSG>", sig.hexdigest().encode()] + parts)
            self.assertEqual(0, sock.poll(1500), "no reply to a dropped message")
        finally:
            sock.close()
        reply, outs = k.run("1 + 1")
        self.assertEqual("ok", reply["content"]["status"], "the shell channel still serves requests")
        self.assertNotIn("SHOULD-NOT-RUN", json.dumps([m["content"] for m in outs]))
        while True:  # nothing from the forged request reached IOPub either
            try:
                msg = k.kc.get_iopub_msg(timeout=0.3)
            except Exception:
                break
            self.assertNotEqual(msg["parent_header"].get("msg_id"), msg["header"]["msg_id"])
            self.assertNotIn("SHOULD-NOT-RUN", json.dumps(msg["content"]))


class LifecycleTest(unittest.TestCase):
    def test_restart_gives_a_fresh_kernel_and_shutdown_is_clean(self):
        k = Kernel()
        try:
            self.assertEqual("ok", k.run("int before = 41;")[0]["content"]["status"])
            old = k.km.provisioner.process
            k.km.restart_kernel(now=False)
            self.assertEqual(0, old.wait(timeout=30), "the old kernel exited by itself after shutdown_request")
            k.kc.wait_for_ready(timeout=TIMEOUT)
            reply, outs = k.run("before + 1")
            self.assertEqual("error", reply["content"]["status"], "state is gone after a restart")
            self.assertEqual("CompileError", reply["content"]["ename"])
            reply, outs = k.run("1 + 1")
            self.assertEqual("ok", reply["content"]["status"])
            proc = k.km.provisioner.process
            msg = k.kc.session.msg("shutdown_request", {"restart": False})
            k.kc.control_channel.send(msg)
            deadline = time.time() + 30
            while True:
                r = k.kc.get_control_msg(timeout=max(0.01, deadline - time.time()))
                if r["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    break
            self.assertEqual("shutdown_reply", r["msg_type"])
            self.assertEqual(False, r["content"]["restart"])
            self.assertEqual(0, proc.wait(timeout=30), "the kernel process ends with exit code 0")
        finally:
            k.kc.stop_channels()
            if k.km.is_alive():
                k.km.shutdown_kernel(now=True)


if __name__ == "__main__":
    unittest.main()
