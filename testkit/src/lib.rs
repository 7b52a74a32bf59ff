//! What wmihunt's tests, fixtures, fuzzer and benchmarks build evidence with, kept out of the
//! shipped binary: a writer of real EVTX files (`writer`) and the fixture cases with the finding
//! each event must give (`cases`). It depends on nothing of wmihunt's, so that wmihunt's own
//! unit tests can use it.

pub mod cases;
pub mod writer;
