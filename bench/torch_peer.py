#!/usr/bin/python3
"""PyTorch's own speed on this host, measured with ../shared/fixtures/reference.py's model
classes and its throughput() (batch 64, 1 and 2 threads). Prints one JSON object.
usage: torch_peer.py REFERENCE_DIR MODEL [MODEL...]"""
import json, sys

import torch_stubs  # noqa: E402,F401  (onnx and sklearn stand-ins, if they are not installed)

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
