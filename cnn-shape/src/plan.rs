//! A whole network's shape rules as data, and the walk that runs them on an
//! input size. The macro emits a network's plan as a constant (one [`Entry`]
//! per row of its `LAYERS` table, plus the ends of blocks and branches); the
//! runtime's `summary_for` and `try_forward` call [`run`]. The walk mirrors
//! the macro's: the same rules ([`Op::apply`], [`merge::residual`],
//! [`merge::concat`]), the same rows, the same trace in the notes.

use crate::failure::{Failure, spatial_trace};
use crate::merge::{self, Merge};
use crate::rule::Op;
use crate::{Receptive, Shape};

/// One step of a plan, in pre-order. Every entry but [`Entry::End`] is one
/// row of the network's `LAYERS` table, in the same order.
#[derive(Debug, Clone, Copy, PartialEq)]
// Plans are constants of the generated code, where nothing can be boxed; the
// small variants are a few per network.
#[allow(clippy::large_enum_variant)]
pub enum Entry<'a> {
    /// A layer: its DSL text, its rule, and whether error notes name it.
    Layer {
        /// `conv(1, 6, 5)`.
        dsl: &'a str,
        /// Its shape rule.
        op: Op,
        /// Whether the trace in error notes names it (element-wise layers do not).
        notes: bool,
    },
    /// A block use or a group: the entries up to its `End`.
    Block,
    /// A `residual`: its body up to a `Shortcut` or its `End`.
    Residual,
    /// A residual's shortcut: the entries up to its `End`.
    Shortcut,
    /// A `concat`, `multiply` or `split`: its `Branch`es up to its `End`.
    Merge(Merge),
    /// A branch of a merge: the entries up to its `End`.
    Branch,
    /// Closes the innermost open entry.
    End,
    /// Not a row: the current tensor is also wire `n` from here on (`node as
    /// w`, or the input of a block use that reads `input`).
    Bind(usize),
    /// `from(w)`: the current tensor becomes wire `wire`.
    From {
        /// `from(layer3)`.
        dsl: &'a str,
        /// The wire.
        wire: usize,
    },
    /// `output(name)`: the current tensor is also an output; nothing changes.
    Output,
    /// `upsample(like = w, …)`: a map resized to wire `wire`'s H×W.
    Like {
        /// `upsample(like = input, mode = bilinear)`.
        dsl: &'a str,
        /// The wire whose H×W it takes.
        wire: usize,
    },
}

/// One row's numbers for the input the plan ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSize {
    /// Per-sample output shape.
    pub output: Shape,
    /// Parameters (a block's, a residual's or a concat's subtotal).
    pub params: u64,
    /// MACs per sample (subtotal for structures).
    pub macs: u64,
    /// Receptive field after the row along `[D, H, W]` (1 on the axes the
    /// map lacks); `None` after `flatten`.
    pub receptive: Option<[Receptive; 3]>,
}

/// A successful run: the output shape and, if asked for, every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Per-sample output shape.
    pub output: Shape,
    /// One per row (empty unless rows were asked for).
    pub rows: Vec<RowSize>,
}

/// Where and why a run stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    /// The row of the layer (or merge) that cannot take what arrives.
    pub row: usize,
    /// Why.
    pub failure: Box<Failure>,
    /// The compile error's text for it, up to the help.
    pub message: String,
}

/// Runs `plan` on a per-sample input (`[C, H, W]` feature maps, or of
/// the rank the network declares). With `rows`, every row's
/// numbers are returned (the `LAYERS` table for that size); without, only the
/// output shape, which costs no allocation beyond the walk's stack.
pub fn run(plan: &[Entry<'_>], input: Shape, rows: bool) -> Result<Run, Stopped> {
    match Walk::new(input, rows, false).run(plan) {
        Ok(run) => Ok(run),
        // Run again with the trace that the message's notes need.
        Err(_) => match Walk::new(input, false, true).run(plan) {
            Err(stopped) => Err(stopped),
            Ok(_) => Err(disagreement()),
        },
    }
}

/// The two walks apply the same rules; should they ever disagree, the first
/// verdict stands, without notes, rather than a panic.
fn disagreement() -> Stopped {
    Stopped {
        row: 0,
        failure: Box::new(Failure::Overflow),
        message: "internal error: the shape walk disagreed with itself; please report it"
            .to_string(),
    }
}

#[derive(Debug, Clone)]
struct End<'a> {
    current: Shape,
    receptive: Option<[Receptive; 3]>,
    trace_len: usize,
    suffix: Vec<(&'a str, Shape)>,
}

enum Frame<'a> {
    Block(usize),
    Residual {
        row: usize,
        start: End<'a>,
        body: Option<End<'a>>,
    },
    Shortcut(usize),
    Concat {
        row: usize,
        merge: Merge,
        start: End<'a>,
        ends: Vec<End<'a>>,
    },
    Branch(usize),
}

struct Walk<'a> {
    current: Shape,
    receptive: Option<[Receptive; 3]>,
    record_rows: bool,
    record_trace: bool,
    rows: Vec<RowSize>,
    is_layer: Vec<bool>,
    trace: Vec<(&'a str, Shape)>,
    merges: Vec<(usize, String)>,
    stack: Vec<Frame<'a>>,
    row: usize,
    /// Each wire's shape and receptive field, once bound.
    wires: Vec<Option<(Shape, Option<[Receptive; 3]>)>>,
}

impl<'a> Walk<'a> {
    fn new(current: Shape, record_rows: bool, record_trace: bool) -> Walk<'a> {
        Walk {
            current,
            receptive: Some([Receptive::INPUT; 3]),
            record_rows,
            record_trace,
            rows: Vec::new(),
            is_layer: Vec::new(),
            trace: if record_trace {
                vec![("the input", current)]
            } else {
                Vec::new()
            },
            merges: Vec::new(),
            stack: Vec::new(),
            row: 0,
            wires: Vec::new(),
        }
    }

    fn run(mut self, plan: &[Entry<'a>]) -> Result<Run, Stopped> {
        for entry in plan {
            self.entry(entry)?;
        }
        Ok(Run {
            output: self.current,
            rows: self.rows,
        })
    }

    fn stop(&self, row: usize, dsl: &str, failure: Failure) -> Stopped {
        let message = if self.record_trace {
            failure.describe(dsl, &self.trace, &self.merges)
        } else {
            String::new()
        };
        Stopped {
            row,
            failure: Box::new(failure),
            message,
        }
    }

    fn entry(&mut self, entry: &Entry<'a>) -> Result<(), Stopped> {
        let row = self.row;
        if !matches!(entry, Entry::End | Entry::Bind(_)) {
            self.row += 1;
        }
        match *entry {
            Entry::Layer { dsl, op, notes } => {
                let input = self.current;
                let applied = op.apply(input).map_err(|f| self.stop(row, dsl, f))?;
                self.current = applied.shape;
                self.receptive = self.receptive.and_then(|[d, h, w]| {
                    Some([
                        op.receptive(d, 0, input, applied.shape)?,
                        op.receptive(h, 1, input, applied.shape)?,
                        op.receptive(w, 2, input, applied.shape)?,
                    ])
                });
                if notes && self.record_trace {
                    self.trace.push((dsl, applied.shape));
                }
                self.push_row(true, applied.params, applied.macs);
            }
            Entry::Block => {
                self.push_row(false, 0, 0);
                self.stack.push(Frame::Block(row));
            }
            Entry::Residual => {
                self.push_row(false, 0, 0);
                let start = self.mark();
                self.stack.push(Frame::Residual {
                    row,
                    start,
                    body: None,
                });
            }
            Entry::Shortcut => {
                let start = match self.stack.last() {
                    Some(Frame::Residual { start, .. }) => Some(start.clone()),
                    _ => None,
                };
                if let Some(start) = start {
                    let end = self.end_since(&start);
                    if let Some(Frame::Residual { body, .. }) = self.stack.last_mut() {
                        *body = Some(end);
                    }
                    self.resume(&start);
                }
                self.push_row(false, 0, 0);
                self.stack.push(Frame::Shortcut(row));
            }
            Entry::Merge(merge) => {
                self.push_row(false, 0, 0);
                if let Merge::Split(k) = merge {
                    merge::split(self.current, k).map_err(|f| self.stop(row, "split", f))?;
                }
                let start = self.mark();
                self.stack.push(Frame::Concat {
                    row,
                    merge,
                    start,
                    ends: Vec::new(),
                });
            }
            Entry::Branch => {
                if let Some(Frame::Concat { start, merge, .. }) = self.stack.last() {
                    let (start, merge) = (start.clone(), *merge);
                    self.resume(&start);
                    if let Merge::Split(k) = merge {
                        // Checked where the split opened.
                        self.current = merge::split(self.current, k).unwrap_or(self.current);
                    }
                }
                self.push_row(false, 0, 0);
                self.stack.push(Frame::Branch(row));
            }
            Entry::End => self.end()?,
            Entry::Bind(wire) => {
                if self.wires.len() <= wire {
                    self.wires.resize(wire + 1, None);
                }
                self.wires[wire] = Some((self.current, self.receptive));
            }
            Entry::From { dsl, wire } => {
                // The macro binds every wire before its first read.
                let (shape, receptive) = self.wire(wire);
                self.current = shape;
                self.receptive = receptive;
                if self.record_trace {
                    self.trace.push((dsl, shape));
                }
                self.push_row(false, 0, 0);
            }
            Entry::Output => self.push_row(false, 0, 0),
            Entry::Like { dsl, wire } => {
                let (like, _) = self.wire(wire);
                let output = merge::like(self.current, like).map_err(|f| self.stop(row, dsl, f))?;
                self.current = output;
                self.receptive = None;
                if self.record_trace {
                    self.trace.push((dsl, output));
                }
                self.push_row(true, 0, 0);
            }
        }
        Ok(())
    }

    /// Wire `n`'s shape and receptive field (the input's if the plan, which
    /// the macro wrote, read it before binding it).
    fn wire(&self, n: usize) -> (Shape, Option<[Receptive; 3]>) {
        self.wires
            .get(n)
            .copied()
            .flatten()
            .unwrap_or((self.current, None))
    }

    fn end(&mut self) -> Result<(), Stopped> {
        match self.stack.pop() {
            None => {}
            Some(Frame::Block(row) | Frame::Shortcut(row)) => self.close_row(row),
            Some(Frame::Branch(row)) => {
                self.close_row(row);
                let end = match self.stack.last() {
                    Some(Frame::Concat { start, .. }) => Some(self.end_since(&start.clone())),
                    _ => None,
                };
                if let (Some(end), Some(Frame::Concat { ends, .. })) = (end, self.stack.last_mut())
                {
                    ends.push(end);
                }
            }
            Some(Frame::Residual { row, start, body }) => {
                let shortcut = body.is_some();
                let (body, skip) = match body {
                    Some(body) => (body, self.end_since(&start)),
                    None => (self.end_since(&start), start),
                };
                let merged = merge::residual(shortcut, body.current, skip.current)
                    .map_err(|f| self.stop(row, "residual", f))?;
                self.resume(&body);
                self.receptive = widest(&[&body, &skip]);
                self.current = merged;
                if self.record_trace {
                    self.trace.push(("residual", merged));
                }
                self.close_row(row);
            }
            Some(Frame::Concat {
                row,
                merge,
                start,
                ends,
            }) => {
                let shapes: Vec<Shape> = ends.iter().map(|e| e.current).collect();
                let trace_of = |i: usize| {
                    let mut full = self.trace[..start.trace_len.min(self.trace.len())].to_vec();
                    full.extend(ends[i].suffix.iter().copied());
                    spatial_trace(&full)
                };
                let merged = merge
                    .join(&shapes, trace_of)
                    .map_err(|f| self.stop(row, merge.name(), f))?;
                if let Some(first) = ends.first() {
                    self.resume(first);
                }
                self.receptive = if merge::broadcasts(&shapes, merged) {
                    None
                } else {
                    widest(&ends.iter().collect::<Vec<_>>())
                };
                self.current = merged;
                if self.record_trace {
                    if !matches!(merge, Merge::Multiply | Merge::Add) {
                        let sum = merge::concat_sum(&shapes, merged);
                        self.merges.push((self.trace.len(), sum));
                    }
                    self.trace.push((merge.name(), merged));
                }
                self.close_row(row);
            }
        }
        Ok(())
    }

    fn push_row(&mut self, layer: bool, params: u64, macs: u64) {
        if self.record_rows {
            self.rows.push(RowSize {
                output: self.current,
                params,
                macs,
                receptive: self.receptive,
            });
            self.is_layer.push(layer);
        }
    }

    /// A structure's row: its output and receptive field now, its layers' subtotals.
    fn close_row(&mut self, row: usize) {
        if !self.record_rows {
            return;
        }
        let (mut params, mut macs) = (0u64, 0u64);
        for (r, layer) in self.rows[row + 1..].iter().zip(&self.is_layer[row + 1..]) {
            if *layer {
                params = params.saturating_add(r.params);
                macs = macs.saturating_add(r.macs);
            }
        }
        self.rows[row] = RowSize {
            output: self.current,
            params,
            macs,
            receptive: self.receptive,
        };
    }

    fn mark(&self) -> End<'a> {
        End {
            current: self.current,
            receptive: self.receptive,
            trace_len: self.trace.len(),
            suffix: Vec::new(),
        }
    }

    fn end_since(&self, start: &End<'a>) -> End<'a> {
        End {
            trace_len: start.trace_len,
            suffix: self
                .trace
                .get(start.trace_len..)
                .map_or_else(Vec::new, <[_]>::to_vec),
            ..self.mark()
        }
    }

    fn resume(&mut self, end: &End<'a>) {
        self.current = end.current;
        self.receptive = end.receptive;
        self.trace.truncate(end.trace_len);
        self.trace.extend(end.suffix.iter().copied());
    }
}

fn widest(ends: &[&End<'_>]) -> Option<[Receptive; 3]> {
    Receptive::widest_of(ends.iter().map(|e| e.receptive))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
