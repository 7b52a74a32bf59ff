//! Writes real EVTX files for fixtures and benchmarks (being written).
