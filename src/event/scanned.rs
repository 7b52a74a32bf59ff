//! What the detection pass takes from each record it renders, in one read of every chunk:
//! a registry event or a WMI subscription event. One extractor, one field list, so the two
//! families cost one pass over the evidence.

use super::registry::RegistryEvent;
use super::subscription::{self, SubscriptionEvent};
use crate::read::rendered::Rendered;
use crate::read::{Extractor, RecordHeader};

const REGISTRY_FIELDS: &[&str] = RegistryEvent::EXTRACTOR.fields;

/// The registry fields, then the subscription fields.
const FIELDS: [&str; REGISTRY_FIELDS.len() + subscription::FIELDS.len()] =
    concat(REGISTRY_FIELDS, &subscription::FIELDS);

/// `a` then `b`, at compile time (`N` is their total length).
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// An event the detection pass reads.
#[derive(Debug, Clone)]
pub enum Scanned {
    /// Sysmon 12/13/14 or Security 4657.
    Registry(RegistryEvent),
    /// Sysmon 19/20/21 or WMI-Activity 5857/5861.
    Subscription(SubscriptionEvent),
}

impl Scanned {
    /// The reader's view of both families: every field either extractor reads (a name both
    /// read is listed twice, which costs the reader nothing).
    pub const EXTRACTOR: Extractor<Scanned> = Extractor {
        fields: &FIELDS,
        extract: Scanned::from_rendered,
    };

    /// The registry or subscription event in a rendered record, if any.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<Scanned> {
        RegistryEvent::from_rendered(event, header)
            .map(Scanned::Registry)
            .or_else(|| SubscriptionEvent::from_rendered(event, header).map(Scanned::Subscription))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_fields_are_the_union_of_both_extractors() {
        let mine: BTreeSet<&str> = Scanned::EXTRACTOR.fields.iter().copied().collect();
        let both: BTreeSet<&str> = RegistryEvent::EXTRACTOR
            .fields
            .iter()
            .copied()
            .chain(subscription::FIELDS)
            .collect();
        assert_eq!(mine, both);
        assert!(mine.contains("TargetObject") && mine.contains("PossibleCause"));
    }
}
