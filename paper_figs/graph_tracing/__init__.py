"""Graph tracing: in-context learning of representations (Park et al., ICLR 2025); studies in graph_tracing*."""
