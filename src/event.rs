//! The event queue of one replication.
//!
//! Guarantee: events come out in time order, and events scheduled for the
//! same time come out in the order they were scheduled (ties are broken by a
//! monotonically increasing sequence number), so a replication is a pure
//! function of its inputs.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Next Poisson arrival of a channel (`aux` = channel).
    Arrival,
    /// A dated burst of a channel starts (`aux` = channel, `buyer` = burst index).
    Burst,
    /// One lead of a burst is captured (`aux` = channel).
    Capture,
    /// The buyer's dwell in the current stage ends.
    Advance,
    /// A marketing touchpoint (nurture touch and score reading).
    MarketingTouch,
    /// A delayed handoff falls due.
    Handoff,
    /// A sales touch is ready to be worked; it waits for a free rep.
    TouchDue,
    /// A rep makes the touch.
    Touch,
    /// Pipeline snapshot (`aux` = snapshot index).
    Snapshot,
}

/// One scheduled event. 32 bytes.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    /// Ordering key: the bits of `time` (times are never negative, and for
    /// non-negative floats the bit patterns order like the values) above the
    /// scheduling sequence number, so one integer comparison orders events.
    key: u128,
    /// Buyer index (or burst index for `Burst`).
    pub buyer: u32,
    /// Epoch of the buyer's state the event was scheduled under; stale
    /// events (epoch changed since) are ignored.
    pub epoch: u32,
    /// Extra payload (channel or snapshot index).
    pub aux: u32,
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
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A priority queue of events with FIFO tie-breaking.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules an event.
    #[inline]
    pub fn push(&mut self, time: f64, kind: EventKind, buyer: u32, epoch: u32, aux: u32) {
        debug_assert!(time >= 0.0, "event times are never negative");
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Event {
            key: (u128::from(time.to_bits()) << 64) | u128::from(seq),
            buyer,
            epoch,
            aux,
            kind,
        });
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Empties the queue, keeping its allocation.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_compact() {
        assert_eq!(std::mem::size_of::<Event>(), 32);
    }

    #[test]
    fn same_time_events_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(2.0, EventKind::Advance, 0, 0, 0);
        for b in 1..=5 {
            q.push(1.0, EventKind::Touch, b, 0, 0);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|e| e.buyer).collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5, 0]);
    }

    #[test]
    fn matches_a_sorted_shadow() {
        // Model-based check against a stable sort of (time, insertion order).
        let mut q = EventQueue::new();
        let mut shadow = Vec::new();
        let mut x = 0.37f64;
        for i in 0..500u32 {
            x = (x * 997.0 + 0.123) % 1.0;
            let t = (x * 20.0).floor(); // many ties
            q.push(t, EventKind::Advance, i, 0, 0);
            shadow.push((t, i));
        }
        shadow.sort_by(|a, b| a.0.total_cmp(&b.0));
        let got: Vec<(f64, u32)> = std::iter::from_fn(|| q.pop())
            .map(|e| (e.time(), e.buyer))
            .collect();
        assert_eq!(got, shadow);
    }
}
