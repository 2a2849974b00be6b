# A convolution is many copies of one neuron sliding over the input: here a 1-D conv with one 3-wide kernel.
import nn
from engine import Value

conv = nn.Conv1d(1, 1, kernel_size=3, seed=0)
signal = [[Value(v, f"x{i}") for i, v in enumerate([0.0, 1.0, 2.0, 1.0, 0.0])]]
out = conv(signal)  # one channel of 3 outputs, each a weighted sum of 3 inputs plus the bias
print([round(o.data, 4) for o in out[0]])
middle = out[0][1].tanh()
middle.backward()
print("kernel gradients:", [round(w.grad, 4) for w in conv.parameters()])
middle
