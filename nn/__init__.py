"""scalargrad's neural-network library: modules, layers, losses, optimisers and data, built on `engine.Value`."""
