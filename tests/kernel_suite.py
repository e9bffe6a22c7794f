"""Debian's jupyter_kernel_test suite against the installed Flowlab kernel (kernelspec 'flowlab')."""
import unittest

import jupyter_kernel_test


class FlowlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "flowlab"
    language_name = "java"
    file_extension = ".jshell"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("this goes to stderr");'

    # matches are the replacement texts for [cursor_start, cursor_end]
    completion_samples = [
        {"text": "Math.ma", "matches": {"max("}},
        {"text": "SchedulePreset.FLUX_", "matches": {"FLUX_DEV"}},
        {"text": "%se", "matches": {"%seed"}},
    ]

    complete_code_samples = ["1 + 1", "int x = 3;", "void f() { }", "%flowlab"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "Math.max(1,", "class A {"]
    invalid_code_samples = ["}", "int x = ;", '"abc']

    code_generate_error = 'throw new IllegalStateException("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"flow" + "lab"', "result": "flowlab"},
        {"code": "SchedulePreset.SD3.schedule(4)", "mime": "image/png"},
        {"code": "SchedulePreset.SD3.schedule(4)", "mime": "text/html"},
    ]

    code_display_data = [
        {"code": "display(SchedulePreset.FLUX_DEV.schedule(8, 512, 512));", "mime": "image/png"},
        {"code": "display(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB));", "mime": "image/png"},
        {"code": 'display(LineChart.titled("loss").series("train", 1, 0.5, 0.25));',
         "mime": "application/vnd.vegalite.v5+json"},
    ]

    code_history_pattern = "6 * *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max("

    code_clear_output = "clearOutput();"


if __name__ == "__main__":
    unittest.main()
