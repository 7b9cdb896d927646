#!/usr/bin/python3
"""PyTorch's own speed on ../shared/text's BERT-style classifier (reference_text.py's model class and its
throughput(): batch 64 x 48 tokens, 1 and 2 threads). Prints one JSON object.
usage: torch_text.py TEXT_DIR"""
import json, os, sys

import torch_stubs  # noqa: E402,F401  (onnx and sklearn stand-ins, if they are not installed)

text = sys.argv[1]
sys.path.insert(0, text)
sys.path.insert(0, os.path.join(text, "..", "fixtures"))
import torch  # noqa: E402
import reference_text as R  # noqa: E402

torch.manual_seed(0)
print(json.dumps({"torch": torch.__version__, "bert": R.throughput(R.BertForMultiLabel())}))
