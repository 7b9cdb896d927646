#!/usr/bin/python3
"""PyTorch's own speed on the zoo models (../shared/zoo/make_zoo.py's classes, built and fused as
make_zoo.py builds them), batch 64, 1 and 2 threads: gradient pass (forward, cross-entropy,
backward) and forward only. Prints one JSON object.
usage: torch_zoo.py ZOO_DIR MODEL [MODEL...]"""
import json, os, sys, time

import torch_stubs  # noqa: E402,F401  (onnx and sklearn stand-ins, if they are not installed)

sys.path.insert(0, sys.argv[1])
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import make_zoo as Z  # noqa: E402

BATCH, REPS = 64, 10
out = {"torch": torch.__version__}
for name in sys.argv[2:]:
    torch.manual_seed(0)
    if name in Z.TEXT:
        model = Z.TEXT[name]()
        x, y = torch.randint(0, 1000, (BATCH, 12)), torch.randint(0, 4, (BATCH,))
    else:
        build, size = Z.image_models()[name]
        model = Z.fuse(build().eval())
        x, y = torch.randn(BATCH, 3, size, size), torch.randint(0, 10, (BATCH,))
    model.eval()
    r = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for _ in range(2):
            model.zero_grad(); F.cross_entropy(model(x), y).backward()
        t = time.perf_counter()
        for _ in range(REPS):
            model.zero_grad(); F.cross_entropy(model(x), y).backward()
        grad_s = BATCH * REPS / (time.perf_counter() - t)
        with torch.no_grad():
            model(x)
            t = time.perf_counter()
            for _ in range(REPS):
                model(x)
            fwd_s = BATCH * REPS / (time.perf_counter() - t)
        r[f"threads{threads}"] = {"grad_samples_per_s": round(grad_s, 1), "forward_samples_per_s": round(fwd_s, 1)}
    out[name] = r
print(json.dumps(out))
