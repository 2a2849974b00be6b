# One neuron, the seed's example: z = w·x + b, then a = tanh(z). Run it (Ctrl-Enter), then "step through".
from engine import Value

x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.88, "b")
z = x * w + b  # z = w·x + b
a = z.tanh()  # a = φ(z)
a.backward()  # backpropagation: fills in .grad of every node
print(a)
print("da/dx =", x.grad, " da/dw =", w.grad, " da/db =", b.grad)
a  # the last Value is drawn below
