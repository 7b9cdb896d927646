"""Stand-ins for modules the PyTorch references import at module level but the timing never uses
(onnx, sklearn): imported first by the bench's PyTorch peers (torch_peer.py, torch_zoo.py,
torch_text.py), so that they run where only python3-torch is installed."""
import sys, types

for name, attrs in {"onnx": ["numpy_helper"], "sklearn": [], "sklearn.linear_model": ["LogisticRegression"],
                    "sklearn.model_selection": ["StratifiedShuffleSplit", "cross_val_score"]}.items():
    try:
        __import__(name)
    except ImportError:
        mod = types.ModuleType(name)
        for a in attrs:
            setattr(mod, a, None)
        sys.modules[name] = mod
