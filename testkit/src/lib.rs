//! What wmihunt's tests, fixtures, fuzzer and benchmarks build evidence with, kept out of the
//! shipped binary: a writer of real EVTX files (`writer`), the fixture cases with the finding
//! each event must give (`cases`), events with Windows' real field sets (`events`) and the
//! attribution scenarios built from them (`scenarios`). It depends on nothing of wmihunt's, so
//! that wmihunt's own unit tests can use it.

pub mod cases;
pub mod events;
pub mod scenarios;
pub mod writer;
