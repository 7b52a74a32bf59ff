//! wmihunt: find registry persistence written through WMI's StdRegProv in EVTX evidence.

pub mod evtx_writer;
