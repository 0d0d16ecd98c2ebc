"""Protocol and case parsing of the torch worker: runs without torch or a GPU."""

import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import parse_case  # noqa: E402
from protocol import (  # noqa: E402
    CaseError,
    ProtocolError,
    UnsupportedCase,
    classify_exception,
    emit,
    error_message,
    parse_request,
)


class ProtocolTest(unittest.TestCase):
    def test_parses_run_and_shutdown(self):
        run = parse_request('{"type":"run","case_id":"a1","op":"gemm","params":{"m":1}}')
        self.assertEqual(run["options"], {})
        self.assertEqual(parse_request('{"type":"shutdown"}')["type"], "shutdown")

    def test_rejects_garbage(self):
        for line in ("not json", "[1]", '{"type":"dance"}', '{"type":"run","case_id":1,"op":"gemm","params":{}}'):
            with self.assertRaises(ProtocolError):
                parse_request(line)

    def test_classifies_failures(self):
        self.assertEqual(classify_exception(UnsupportedCase("x")), ("unsupported_config", False))
        self.assertEqual(classify_exception(RuntimeError("CUDA out of memory. Tried")), ("resource_issue", False))
        self.assertEqual(
            classify_exception(RuntimeError("CUDA error: an illegal memory access was encountered")),
            ("framework_bug", True),
        )
        self.assertEqual(classify_exception(CaseError("bad")), ("collector_bug", False))
        self.assertEqual(classify_exception(RuntimeError("cuDNN went sideways")), ("framework_bug", False))

    def test_error_message_is_one_json_line(self):
        out = io.StringIO()
        emit(error_message("c1", RuntimeError("boom\nsecond line"), "tb"), out)
        line = out.getvalue()
        self.assertEqual(line.count("\n"), 1)
        message = json.loads(line)
        self.assertEqual(message["message"], "boom")
        self.assertEqual(message["case_id"], "c1")


class CaseTest(unittest.TestCase):
    def test_normalises_mha_kv_heads(self):
        case = parse_case("context_attention", {
            "batch_size": 1, "isl": 128, "num_heads": 8, "num_key_value_heads": 0, "head_dim": 128,
            "window_size": 0, "beam_width": 1, "step": 0, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16"})
        self.assertEqual(case["num_key_value_heads"], 8)

    def test_unsupported_and_malformed(self):
        with self.assertRaises(UnsupportedCase):
            parse_case("gemm", {"m": 1, "n": 8, "k": 4096, "gemm_dtype": "fp8"})
        with self.assertRaises(UnsupportedCase):
            parse_case("gemm", {"m": 1, "n": 16, "k": 16, "gemm_dtype": "nvfp4"})
        with self.assertRaises(CaseError):
            parse_case("gemm", {"m": "1", "n": 16, "k": 16, "gemm_dtype": "bfloat16"})
        with self.assertRaises(CaseError):
            parse_case("generation_attention", {
                "batch_size": 1, "isl": 4, "num_heads": 8, "num_key_value_heads": 8, "head_dim": 128,
                "window_size": 0, "beam_width": 1, "step": 10, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16"})
        with self.assertRaises(CaseError):
            parse_case("moe", {"num_tokens": 1, "hidden_size": 64, "inter_size": 64, "topk": 2, "num_experts": 6,
                               "moe_tp_size": 1, "moe_ep_size": 4, "moe_dtype": "bfloat16", "distribution": "balanced"})


class DeviceScriptTest(unittest.TestCase):
    def test_host_launch_cases_are_valid_collector_cases(self):
        import host_launch

        cases = host_launch._cases()
        self.assertTrue({op for _, op, _ in cases} >= {"gemm", "context_attention", "generation_attention", "moe",
                                                      "elementwise"})
        for _, op, params in cases:
            parse_case(op, params)

    def test_reference_csv_keeps_the_columns_silicon_reference_reads(self):
        import tempfile

        row = {"model": "Qwen3-30B-A3B", "tp": 1, "phase": "decode", "batch": 8, "isl": 1, "kv": 1024, "layers": 48,
               "latency_ms": 18.5, "eager_latency_ms": 26.8, "graph_latency_ms": 18.5, "host_enqueue_ms": 32.4,
               "host_synced": False, "queued_eager_ms": 20.5, "queued_synced": False, "used_cuda_graph": True,
               "distribution": "balanced", "router_max_over_mean": 2.0, "peak_mem_bytes": 1, "torch": "2.11",
               "device": "H200"}
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(json.dumps(row) + "\n" + json.dumps({"error": "boom", "request": {}}) + "\n")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "device",
                              "reference-csv.py")
        run = subprocess.run([sys.executable, script, f.name], capture_output=True, text=True, timeout=30)
        os.unlink(f.name)
        lines = run.stdout.strip().split("\n")
        self.assertEqual(len(lines), 2)
        record = dict(zip(lines[0].split(","), lines[1].split(",")))
        self.assertEqual(record["latency_ms"], "18.5000")
        self.assertEqual(record["distribution"], "balanced")
        self.assertEqual(record["used_cuda_graph"], "true")
        self.assertIn("skipped: boom", run.stderr)

    def test_reference_model_refuses_an_unknown_distribution_before_touching_torch(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_model.py")
        request = {"model": {"id": "m", "hiddenSize": 64, "numLayers": 1, "numHeads": 1, "numKvHeads": 1,
                             "headDim": 64, "interSize": 64, "vocabSize": 64}, "tp": 1, "phase": "decode",
                   "batch": 1, "kv": 8, "distribution": "zipf"}
        run = subprocess.run([sys.executable, script, "--request", json.dumps(request)], capture_output=True,
                             text=True, timeout=60)
        answer = json.loads(run.stdout.strip().splitlines()[-1])
        self.assertIn("distribution must be one of", answer["error"])
        self.assertNotEqual(run.returncode, 0)


    def test_reference_model_mixed_step_needs_a_chunk_and_a_kv_length(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_model.py")
        model = {"id": "m", "hiddenSize": 64, "numLayers": 1, "numHeads": 1, "numKvHeads": 1, "headDim": 64,
                 "interSize": 64, "vocabSize": 64}
        for missing in ({"isl": 0, "kv": 8}, {"isl": 16, "kv": 0}):
            request = {"model": model, "tp": 1, "phase": "mixed", "batch": 2, **missing}
            run = subprocess.run([sys.executable, script, "--request", json.dumps(request)], capture_output=True,
                                 text=True, timeout=60)
            answer = json.loads(run.stdout.strip().splitlines()[-1])
            self.assertIn("mixed needs both", answer["error"])
            self.assertNotEqual(run.returncode, 0)

class WorkerProcessTest(unittest.TestCase):
    def test_worker_reports_a_broken_environment_as_one_fatal_line(self):
        try:
            import torch  # noqa: F401

            self.skipTest("torch is installed here: the hello path needs a GPU")
        except ImportError:
            pass
        worker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
        run = subprocess.run([sys.executable, worker], input="", capture_output=True, text=True, timeout=30)
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["type"], "error")
        self.assertTrue(lines[0]["fatal"])
        self.assertNotEqual(run.returncode, 0)


if __name__ == "__main__":
    unittest.main()
