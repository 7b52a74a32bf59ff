//! A host's timeline as numbers for an inline SVG: one lane per kind of mark (registry
//! writes, runs of their payloads, subscription events, caller evidence), time along the
//! x axis, each finding's marks joined by a line. Marks are generic (time, lane, label, the
//! card they belong to), so a new kind of evidence is a lane and a mapping, nothing here.
//!
//! Big cases stay drawable: marks that fall on the same pixel of a lane are drawn once, with
//! their count, so a timeline has at most a few thousand shapes whatever the findings.

use super::super::TimeDisplay;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// A lane: a kind of mark, with its CSS class and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    /// CSS class of its marks.
    pub class: &'static str,
    /// Shown left of the lane.
    pub label: &'static str,
}

/// Registry writes (and, later, other persistence writes).
pub const WRITES: Lane = Lane {
    class: "write",
    label: "persistence written",
};
/// Process creations that ran a payload.
pub const RUNS: Lane = Lane {
    class: "run",
    label: "payload ran",
};
/// WMI event subscription events (filter, consumer, binding).
pub const SUBSCRIPTIONS: Lane = Lane {
    class: "sub",
    label: "WMI subscription",
};
/// Evidence of who made the call (logons, remote WMI activity).
pub const CALLERS: Lane = Lane {
    class: "caller",
    label: "caller evidence",
};
/// Every lane, top to bottom; a timeline shows those that have marks.
const LANES: [Lane; 4] = [CALLERS, WRITES, SUBSCRIPTIONS, RUNS];

/// One thing on a timeline.
#[derive(Debug, Clone)]
pub struct Mark {
    /// When.
    pub time: Timestamp,
    /// What kind of thing.
    pub lane: Lane,
    /// What it was, in a few words (log text, escaped by the template).
    pub label: String,
    /// The card it belongs to (its index in the report's cards).
    pub card: usize,
}

/// Width of the drawing, in SVG units; it scales to the page.
const WIDTH: u32 = 960;
/// Room for lane labels on the left.
const LEFT: u32 = 150;
const RIGHT: u32 = 24;
const TOP: u32 = 8;
const LANE_HEIGHT: u32 = 30;
/// Room for the time axis below the lanes.
const AXIS: u32 = 34;
/// Most lines joining a finding's marks that are drawn.
const MAX_LINKS: usize = 4000;

/// A lane as drawn.
#[derive(Debug)]
pub struct LaneRow {
    pub y: u32,
    pub label: &'static str,
    pub class: &'static str,
}

/// A time label on the axis.
#[derive(Debug)]
pub struct Tick {
    pub x: u32,
    pub label: String,
    pub anchor: &'static str,
}

/// One drawn mark: a circle linking to its card.
#[derive(Debug)]
pub struct Dot {
    pub x: u32,
    pub y: u32,
    pub class: &'static str,
    /// The card's element id.
    pub card: String,
    /// Hover text: what it was, or how many fell here.
    pub title: String,
    /// Marks drawn as this one.
    pub count: usize,
}

/// A line joining two marks of one finding.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub x1: u32,
    pub y1: u32,
    pub x2: u32,
    pub y2: u32,
}

/// A host's timeline, ready to draw.
#[derive(Debug)]
pub struct Timeline {
    /// Element id.
    pub id: String,
    /// The host, as shown.
    pub host: String,
    pub width: u32,
    pub height: u32,
    /// Where the axis line is drawn.
    pub axis_y: u32,
    pub plot_left: u32,
    pub plot_right: u32,
    pub lanes: Vec<LaneRow>,
    pub ticks: Vec<Tick>,
    pub dots: Vec<Dot>,
    pub links: Vec<Link>,
    /// The same in words, for readers without the picture.
    pub summary: String,
}

/// Maps times to x between the plot's edges.
struct Scale {
    start: i128,
    span: i128,
}

impl Scale {
    fn new(marks: &[Mark]) -> Scale {
        let nanos = |m: &Mark| m.time.as_nanosecond();
        let first = marks.iter().map(nanos).min().unwrap_or(0);
        let last = marks.iter().map(nanos).max().unwrap_or(0);
        // A margin of 3% each side keeps the first and last mark off the edges; a single
        // instant gets a minute either side.
        let pad = ((last - first) * 3 / 100).max(if last == first { 60_000_000_000 } else { 1 });
        Scale {
            start: first - pad,
            span: (last - first) + 2 * pad,
        }
    }

    fn x(&self, time: Timestamp) -> u32 {
        let plot = i128::from(WIDTH - LEFT - RIGHT);
        let offset = (time.as_nanosecond() - self.start).clamp(0, self.span);
        let x = offset * plot / self.span.max(1);
        LEFT + u32::try_from(x).unwrap_or(0)
    }

    fn at(&self, fraction_of_4: i128) -> Option<Timestamp> {
        Timestamp::from_nanosecond(self.start + self.span * fraction_of_4 / 4).ok()
    }
}

/// Builds the timeline of `host` from its marks (in any order).
pub fn build(id: String, host: String, marks: &[Mark], time: &TimeDisplay) -> Timeline {
    let scale = Scale::new(marks);
    let lanes: Vec<LaneRow> = LANES
        .iter()
        .filter(|lane| marks.iter().any(|m| m.lane == **lane))
        .enumerate()
        .map(|(i, lane)| LaneRow {
            y: TOP + LANE_HEIGHT * i as u32 + LANE_HEIGHT / 2,
            label: lane.label,
            class: lane.class,
        })
        .collect();
    let y_of = |lane: Lane| {
        lanes
            .iter()
            .find(|row| row.class == lane.class)
            .map_or(TOP, |row| row.y)
    };
    let axis_y = TOP + LANE_HEIGHT * lanes.len() as u32 + 4;
    let dots = dots(marks, &scale, &y_of, time);
    let links = links(marks, &scale, &y_of);
    Timeline {
        id,
        summary: summary(&host, marks, &lanes, time),
        host,
        width: WIDTH,
        height: axis_y + AXIS,
        axis_y,
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        ticks: ticks(&scale, time),
        lanes,
        dots,
        links,
    }
}

/// One dot per lane and pixel, in lane and time order; the first mark there names it.
fn dots(marks: &[Mark], scale: &Scale, y_of: &dyn Fn(Lane) -> u32, time: &TimeDisplay) -> Vec<Dot> {
    let mut cells: BTreeMap<(u32, u32), (&Mark, usize)> = BTreeMap::new();
    for mark in marks {
        let cell = cells
            .entry((y_of(mark.lane), scale.x(mark.time)))
            .or_insert((mark, 0));
        if mark.time < cell.0.time {
            cell.0 = mark;
        }
        cell.1 += 1;
    }
    cells
        .into_iter()
        .map(|((y, x), (mark, count))| {
            let when = time.show(mark.time);
            let title = if count == 1 {
                format!("{when}: {}", mark.label)
            } else {
                format!("{count} marks from {when}, the first: {}", mark.label)
            };
            Dot {
                x,
                y,
                class: mark.lane.class,
                card: card_id(mark.card),
                title,
                count,
            }
        })
        .collect()
}

/// Lines joining each finding's marks in time order, each drawn once.
fn links(marks: &[Mark], scale: &Scale, y_of: &dyn Fn(Lane) -> u32) -> Vec<Link> {
    let mut by_card: BTreeMap<usize, Vec<&Mark>> = BTreeMap::new();
    for mark in marks {
        by_card.entry(mark.card).or_default().push(mark);
    }
    let mut links = std::collections::BTreeSet::new();
    for card in by_card.values_mut() {
        card.sort_by_key(|m| m.time);
        for pair in card.windows(2) {
            if let [a, b] = pair {
                links.insert(Link {
                    x1: scale.x(a.time),
                    y1: y_of(a.lane),
                    x2: scale.x(b.time),
                    y2: y_of(b.lane),
                });
            }
        }
        if links.len() >= MAX_LINKS {
            break;
        }
    }
    links.into_iter().collect()
}

/// Five time labels along the axis: the date and time at the ends, the time between them
/// when the day is the same; when the whole span is a few seconds, times to the millisecond
/// and no date (the summary below the drawing has it).
fn ticks(scale: &Scale, time: &TimeDisplay) -> Vec<Tick> {
    let mut ticks = Vec::new();
    let mut first_day = String::new();
    let digits = if scale.span < 20_000_000_000 { 23 } else { 19 };
    for i in 0..=4 {
        let Some(at) = scale.at(i) else { continue };
        let full: String = time.show(at).chars().take(digits).collect();
        let day: String = full.chars().take(10).collect();
        if i == 0 {
            first_day = day.clone();
        }
        let label = if digits == 23 || ((1..4).contains(&i) && day == first_day) {
            full.chars().skip(11).collect()
        } else {
            full
        };
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        ticks.push(Tick {
            x: scale.x(at),
            label,
            anchor,
        });
    }
    ticks
}

/// The timeline in words: how many marks of each lane, from when to when.
fn summary(host: &str, marks: &[Mark], lanes: &[LaneRow], time: &TimeDisplay) -> String {
    let counts: Vec<String> = lanes
        .iter()
        .map(|lane| {
            let n = marks.iter().filter(|m| m.lane.class == lane.class).count();
            format!("{} {n}", lane.label)
        })
        .collect();
    let first = marks.iter().map(|m| m.time).min();
    let last = marks.iter().map(|m| m.time).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => format!(", {} to {}", time.show(a), time.show(b)),
        _ => String::new(),
    };
    format!("Timeline of {host}: {}{span}", counts.join(", "))
}

/// The element id of card `index`.
pub fn card_id(index: usize) -> String {
    format!("f{}", index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeDisplay {
        TimeDisplay {
            zone: jiff::tz::TimeZone::UTC,
            label: "UTC".into(),
        }
    }

    fn mark(secs: i64, lane: Lane, card: usize) -> Mark {
        Mark {
            time: Timestamp::from_second(1_709_287_200 + secs).unwrap(),
            lane,
            label: format!("m{secs}"),
            card,
        }
    }

    #[test]
    fn marks_on_one_pixel_are_drawn_once_and_lanes_follow_the_marks() {
        let mut marks: Vec<Mark> = (0..10_000)
            .map(|i| mark(i % 3, WRITES, i as usize))
            .collect();
        marks.push(mark(3600, RUNS, 0));
        let t = build("t1".into(), "WS06".into(), &marks, &utc());
        assert_eq!(t.lanes.len(), 2);
        assert_eq!(t.lanes[0].label, WRITES.label);
        assert!(t.dots.len() <= 4, "{}", t.dots.len());
        assert_eq!(t.dots.iter().map(|d| d.count).sum::<usize>(), 10_001);
        assert_eq!(t.links.len(), 1);
        let run = t.dots.iter().find(|d| d.class == "run").unwrap();
        assert!(run.x > t.dots[0].x && run.x <= t.plot_right, "{run:?}");
        assert_eq!(t.ticks.first().unwrap().label, "2024-03-01 09:58:12");
        assert_eq!(t.ticks[2].label, "10:30:00");
    }

    #[test]
    fn a_single_instant_sits_in_the_middle() {
        let t = build("t1".into(), "h".into(), &[mark(0, WRITES, 0)], &utc());
        let dot = &t.dots[0];
        assert_eq!(dot.x, LEFT + (WIDTH - LEFT - RIGHT) / 2);
        assert_eq!(dot.card, "f1");
        assert!(t.summary.contains("persistence written 1"), "{}", t.summary);
        // Two minutes of span: labels to the millisecond would be noise.
        assert_eq!(t.ticks[2].label, "10:00:00");
        let t = build(
            "t1".into(),
            "h".into(),
            &[mark(0, WRITES, 0), mark(3, RUNS, 0)],
            &utc(),
        );
        assert_eq!(t.ticks[2].label, "10:00:01.500");
    }
}
