#!/usr/bin/python3
"""PyTorch's own speed on ../shared/text's BERT-style classifier (reference_text.py's model class and its
throughput(): batch 64 x 48 tokens, 1 and 2 threads). Prints one JSON object.
usage: torch_text.py TEXT_DIR"""
import json, os, sys, types

# reference_text.py (and the reference.py it imports) import onnx and sklearn at module level; timing needs neither.
for name, attrs in {"onnx": ["numpy_helper"], "sklearn": [], "sklearn.linear_model": ["LogisticRegression"],
                    "sklearn.model_selection": ["StratifiedShuffleSplit", "cross_val_score"]}.items():
    try:
        __import__(name)
    except ImportError:
        mod = types.ModuleType(name)
        for a in attrs:
            setattr(mod, a, None)
        sys.modules[name] = mod

text = sys.argv[1]
sys.path.insert(0, text)
sys.path.insert(0, os.path.join(text, "..", "fixtures"))
import torch  # noqa: E402
import reference_text as R  # noqa: E402

torch.manual_seed(0)
print(json.dumps({"torch": torch.__version__, "bert": R.throughput(R.BertForMultiLabel())}))
