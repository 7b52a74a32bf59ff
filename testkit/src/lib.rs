//! What wmihunt's tests, fixtures, fuzzer and benchmarks build evidence with, kept out of the
//! shipped binary: the EVTX layout with named header fields (`layout`), one builder of chunk
//! and BinXML bytes (`binxml`), a writer of real EVTX files on top of it (`writer`), crafted
//! chunks for hostile-input tests (`craft`), the fixture cases with the finding each event must
//! give (`cases`), events with Windows' real field sets (`events`) and the attribution
//! scenarios built from them (`scenarios`). It depends on nothing of wmihunt's, so that
//! wmihunt's own unit tests can use it.

pub mod binxml;
pub mod cases;
pub mod craft;
pub mod events;
pub mod layout;
pub mod scenarios;
pub mod writer;
