//! The event queue of one replication.
//!
//! Guarantee: events come out in time order, and events scheduled for the
//! same time come out in the order they were scheduled (ties are broken by a
//! monotonically increasing sequence number), so a replication is a pure
//! function of its inputs.

use std::cmp::Ordering;

/// What happens at an event, with exactly the data it needs.
///
/// Events about a buyer carry the epoch of the buyer's state they were
/// scheduled under (journey, marketing or sales, by kind); when that epoch
/// has moved on, the event is stale and is ignored. A payload is at most two
/// `u32`s, so an [`Event`] stays 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Next Poisson arrival of a channel.
    Arrival {
        /// Channel index.
        channel: u32,
    },
    /// A dated burst of a channel starts.
    Burst {
        /// Channel index.
        channel: u32,
        /// Index of the burst among the channel's bursts.
        burst: u32,
    },
    /// One lead of a burst is captured.
    Capture {
        /// Channel index.
        channel: u32,
    },
    /// The buyer's dwell in the current stage ends.
    Advance {
        /// Buyer index.
        buyer: u32,
        /// The buyer's journey epoch.
        epoch: u32,
    },
    /// A marketing touchpoint (nurture touch and score reading).
    MarketingTouch {
        /// Buyer index.
        buyer: u32,
        /// The buyer's marketing epoch.
        epoch: u32,
    },
    /// A delayed handoff falls due.
    Handoff {
        /// Buyer index.
        buyer: u32,
        /// The buyer's marketing epoch.
        epoch: u32,
    },
    /// A lead that sales recycled has been held long enough: the handoff
    /// policy applies to it again.
    Release {
        /// Buyer index.
        buyer: u32,
        /// The buyer's marketing epoch.
        epoch: u32,
    },
    /// A sales touch is ready to be worked; it waits for a free rep.
    TouchDue {
        /// Buyer index.
        buyer: u32,
        /// The buyer's sales epoch.
        epoch: u32,
    },
    /// A rep makes the touch.
    Touch {
        /// Buyer index.
        buyer: u32,
        /// The buyer's sales epoch.
        epoch: u32,
    },
    /// Pipeline snapshot.
    Snapshot {
        /// Snapshot index.
        index: u32,
    },
}

/// One scheduled event. 32 bytes.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    /// Ordering key: the bits of `time` (times are never negative, and for
    /// non-negative floats the bit patterns order like the values) above the
    /// scheduling sequence number, so one integer comparison orders events.
    key: u128,
    /// What happens.
    pub kind: EventKind,
}

impl Event {
    /// Time in days.
    #[inline]
    pub fn time(&self) -> f64 {
        f64::from_bits((self.key >> 64) as u64)
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    /// Earlier events first (by time, then scheduling order).
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// A priority queue of events with FIFO tie-breaking, specialised for a
/// discrete-event simulation of known length: a calendar of time buckets.
///
/// Events are dropped into the bucket of their time (unsorted, O(1)). Only
/// the current bucket is kept sorted, so each pop is O(1) and a push into
/// the near future costs a short insertion. With the bucket width set so a
/// bucket holds a few dozen events, this replaces a binary heap whose
/// thousands of pending events (every open buyer's next stage change) made
/// `pop` the engine's hottest function. The order is exactly the heap's:
/// by time, then by scheduling sequence.
///
/// Events after the end of the simulation are never processed, so they are
/// not stored.
#[derive(Debug)]
pub struct EventQueue {
    /// Buckets of width `1 / inv_width` days; bucket `i` holds times in
    /// `[i, i + 1) / inv_width`.
    buckets: Vec<Vec<Event>>,
    inv_width: f64,
    /// Index of the bucket `current` was taken from.
    cursor: usize,
    /// The current bucket, sorted latest first (pop from the back).
    current: Vec<Event>,
    /// Emptied bucket allocations, reused by buckets that fill later.
    spare: Vec<Vec<Event>>,
    end: f64,
    next_seq: u64,
    len: usize,
}

/// Events a bucket should hold on average: enough to amortise moving to the
/// next bucket, few enough that inserting into the current one is cheap.
const EVENTS_PER_BUCKET: f64 = 12.0;
/// Upper bound on the number of buckets (memory: 24 bytes each).
const MAX_BUCKETS: f64 = (1 << 20) as f64;

impl EventQueue {
    /// A queue for events at times in `[0, end]` days, sized for about
    /// `expected_events` events in all.
    pub fn new(end: f64, expected_events: f64) -> Self {
        let end = if end.is_finite() && end > 0.0 { end } else { 0.0 };
        let buckets = (expected_events / EVENTS_PER_BUCKET).clamp(1.0, MAX_BUCKETS);
        let inv_width = if end > 0.0 { buckets / end } else { 1.0 };
        let n = (end * inv_width) as usize + 2;
        Self {
            buckets: (0..n).map(|_| Vec::new()).collect(),
            inv_width,
            cursor: 0,
            current: Vec::new(),
            spare: Vec::new(),
            end,
            next_seq: 0,
            len: 0,
        }
    }

    #[inline]
    fn bucket_of(&self, time: f64) -> usize {
        ((time * self.inv_width) as usize).min(self.buckets.len() - 1)
    }

    /// Schedules an event. Times must not be earlier than the last event
    /// popped (the simulation never schedules into the past).
    #[inline]
    pub fn push(&mut self, time: f64, kind: EventKind) {
        debug_assert!(time >= 0.0, "event times are never negative");
        let seq = self.next_seq;
        self.next_seq += 1;
        if time > self.end {
            return;
        }
        let event = Event {
            key: (u128::from(time.to_bits()) << 64) | u128::from(seq),
            kind,
        };
        self.len += 1;
        let b = self.bucket_of(time);
        // At or before the cursor (`next_time` may have moved it past empty
        // buckets): the event belongs in the sorted current bucket.
        if b <= self.cursor {
            // Latest first: the new event goes before every earlier one.
            let at = self.current.partition_point(|e| e.key > event.key);
            self.current.insert(at, event);
        } else {
            let bucket = &mut self.buckets[b];
            if bucket.capacity() == 0
                && let Some(v) = self.spare.pop()
            {
                *bucket = v;
            }
            bucket.push(event);
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        if let Some(e) = self.current.pop() {
            self.len -= 1;
            return Some(e);
        }
        self.advance()?;
        self.len -= 1;
        self.current.pop()
    }

    /// Moves to the next non-empty bucket and sorts it; `None` if there is none.
    #[cold]
    fn advance(&mut self) -> Option<()> {
        if self.len == 0 {
            return None;
        }
        let next = (self.cursor + 1..self.buckets.len()).find(|&i| !self.buckets[i].is_empty())?;
        self.cursor = next;
        let emptied = std::mem::replace(&mut self.current, std::mem::take(&mut self.buckets[next]));
        if emptied.capacity() > 0 {
            self.spare.push(emptied);
        }
        // Keys are unique (sequence numbers), so an unstable sort is exact.
        self.current.sort_unstable_by_key(|e| std::cmp::Reverse(e.key));
        Some(())
    }

    /// Time of the earliest pending event, if any.
    #[inline]
    pub fn next_time(&mut self) -> Option<f64> {
        if self.current.is_empty() {
            self.advance()?;
        }
        self.current.last().map(Event::time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event about buyer `buyer` (the tests' identity of an event).
    fn advance(buyer: u32) -> EventKind {
        EventKind::Advance { buyer, epoch: 0 }
    }

    /// The buyer of an event made by [`advance`] or a touch.
    fn buyer(e: &Event) -> u32 {
        match e.kind {
            EventKind::Advance { buyer, .. } | EventKind::Touch { buyer, .. } => buyer,
            other => panic!("not a buyer event: {other:?}"),
        }
    }

    #[test]
    fn events_are_compact() {
        assert_eq!(std::mem::size_of::<Event>(), 32);
    }

    #[test]
    fn payloads_come_back_as_scheduled() {
        let kinds = [
            EventKind::Arrival { channel: 3 },
            EventKind::Burst { channel: 1, burst: 7 },
            EventKind::Capture { channel: 2 },
            EventKind::Advance { buyer: 11, epoch: 4 },
            EventKind::MarketingTouch { buyer: 12, epoch: 5 },
            EventKind::Handoff { buyer: 13, epoch: 6 },
            EventKind::TouchDue {
                buyer: 14,
                epoch: u32::MAX,
            },
            EventKind::Touch {
                buyer: u32::MAX,
                epoch: 8,
            },
            EventKind::Snapshot { index: 9 },
        ];
        let mut q = EventQueue::new(10.0, 10.0);
        for (i, &kind) in kinds.iter().enumerate() {
            q.push(i as f64, kind);
        }
        let got: Vec<EventKind> = std::iter::from_fn(|| q.pop()).map(|e| e.kind).collect();
        assert_eq!(got, kinds);
    }

    #[test]
    fn same_time_events_pop_in_scheduling_order() {
        let mut q = EventQueue::new(100.0, 50.0);
        q.push(2.0, advance(0));
        for b in 1..=5 {
            q.push(1.0, EventKind::Touch { buyer: b, epoch: 0 });
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|e| buyer(&e)).collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5, 0]);
    }

    #[test]
    fn matches_a_sorted_shadow() {
        // Model-based check against a stable sort of (time, insertion order).
        let mut q = EventQueue::new(100.0, 50.0);
        let mut shadow = Vec::new();
        let mut x = 0.37f64;
        for i in 0..500u32 {
            x = (x * 997.0 + 0.123) % 1.0;
            let t = (x * 20.0).floor(); // many ties
            q.push(t, advance(i));
            shadow.push((t, i));
        }
        shadow.sort_by(|a, b| a.0.total_cmp(&b.0));
        let got: Vec<(f64, u32)> = std::iter::from_fn(|| q.pop())
            .map(|e| (e.time(), buyer(&e)))
            .collect();
        assert_eq!(got, shadow);
    }

    #[test]
    fn pushes_while_popping_keep_the_order_and_late_events_are_dropped() {
        // Like the engine: pop one event, schedule a few after it.
        let mut q = EventQueue::new(50.0, 40.0);
        let mut x = 0.61f64;
        q.push(0.0, advance(0));
        let (mut pushed, mut late, mut popped) = (1u32, 0u32, 0u32);
        let mut last = (0.0, 0u32);
        while let Some(e) = q.pop() {
            assert!((e.time(), buyer(&e)) >= last, "out of order");
            last = (e.time(), buyer(&e));
            popped += 1;
            for _ in 0..3 {
                if pushed < 5000 {
                    x = (x * 997.0 + 0.123) % 1.0;
                    let t = e.time() + (x * 40.0).floor() * 0.5; // ties and zero delays
                    q.push(
                        t,
                        EventKind::Touch {
                            buyer: pushed,
                            epoch: 0,
                        },
                    );
                    pushed += 1;
                    late += u32::from(t > 50.0);
                }
            }
        }
        assert!(late > 0, "some events fall after the end");
        assert_eq!(popped + late, pushed, "every other event comes out");
        assert!(q.is_empty());
    }
}
