# An MLP learns two moons with nn.training.fit; the Recorder's training page appears below.
import nn
from nn.data import make_moons
from nn.training import fit

X, y = make_moons(100, noise=0.1, seed=0)
model = nn.MLP(2, [8, 8, 1], seed=0)
rec = nn.Recorder(X, y, every=2, sample=0)  # every 2nd step; activations shown on X[0]
history = fit(model, X, y, steps=30, recorder=rec, progress=False)
for step in range(0, len(history.loss), 5):
    print(f"step {step:2d}  loss {history.loss[step]:.6f}  accuracy {history.accuracy[step]:.0%}")
score = model(X[0])  # the model's score for the first point: its graph is drawn below
score
