#!/usr/bin/python3
"""PyTorch's own speed on this host, measured with ../shared/fixtures/reference.py's model
classes and its throughput() (batch 64, 1 and 2 threads). Prints one JSON object.
usage: torch_peer.py REFERENCE_DIR MODEL [MODEL...]"""
import json, sys, types

# reference.py imports onnx and sklearn at module level; the throughput measurement needs neither.
for name, attrs in {"onnx": ["numpy_helper"], "sklearn": [], "sklearn.linear_model": ["LogisticRegression"],
                    "sklearn.model_selection": ["StratifiedShuffleSplit", "cross_val_score"]}.items():
    try:
        __import__(name)
    except ImportError:
        mod = types.ModuleType(name)
        for a in attrs:
            setattr(mod, a, None)
        sys.modules[name] = mod

sys.path.insert(0, sys.argv[1])
import torch  # noqa: E402
import reference  # noqa: E402

out = {"torch": torch.__version__}
for name in sys.argv[2:]:
    torch.manual_seed(0)
    model = reference.MODELS[name]()
    if name == "resnet18":
        model = reference.fuse_batchnorm(model.eval())
    out[name] = reference.throughput(model)
print(json.dumps(out))
