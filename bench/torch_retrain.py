#!/usr/bin/python3
"""PyTorch's retraining time on this host: ../shared/fixtures/reference.py's train() on a scenario's
retain set (one thread, as the reference runs it), timed over its first epochs and projected to the
reference's epoch count (every epoch is the same number of the same steps). report.json's
retrain_seconds were measured on another host with two jobs sharing its 2 cores; this is the peer
on the host the bench runs on. Prints one JSON object.
usage: torch_retrain.py REFERENCE_DIR MODEL SCENARIO [EPOCHS_TIMED]"""
import json, sys, time

import torch_stubs  # noqa: E402,F401  (onnx and sklearn stand-ins, if they are not installed)

sys.path.insert(0, sys.argv[1])
import torch  # noqa: E402
import reference  # noqa: E402

name, scenario = sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
data = reference.load_data()
_, retain = reference.split(data["train"], reference.scenarios(data["train"][1])[scenario])
epochs = reference.TRAIN_EPOCHS[name]
timed = min(int(sys.argv[4]) if len(sys.argv) > 4 else 1, epochs)
torch.manual_seed(reference.SEED)
model = reference.MODELS[name]()
t = time.perf_counter()
reference.train(model, retain, timed, reference.SEED)
seconds = time.perf_counter() - t
print(json.dumps({"torch": torch.__version__, "model": name, "scenario": scenario, "retain": len(retain[1]),
                  "epochs": epochs, "epochs_timed": timed, "seconds_timed": round(seconds, 2),
                  "retrain_seconds": round(seconds / timed * epochs, 1)}))
