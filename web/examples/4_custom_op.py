# A custom op: name it, give its forward and its derivative; engine.gradcheck compares it with finite differences.
import math

import engine
from engine import Value

softplus = engine.op("softplus", lambda x: math.log1p(math.exp(x)), lambda x, out: x.sigmoid())
x = Value(0.5, "x")
y = softplus(x * 2.0)
y.backward()
print(f"softplus(1.0) = {y.data:.6f}, dy/dx = {x.grad:.6f} (2·sigmoid(1) = {2 / (1 + math.exp(-1)):.6f})")
print("gradcheck:", engine.gradcheck(lambda v: softplus(v * 2.0), [0.5]))
y
