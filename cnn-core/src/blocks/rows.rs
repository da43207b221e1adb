//! Where a structure's branches start and end (the shape, layout and
//! trace to resume from), and the rows of structures, whose subtotals are
//! known once their bodies are checked.

use super::End;
use crate::model::{Row, RowKind, Shape};
use crate::shape;
use crate::walker::Checker;

impl Checker<'_, '_> {
    /// Where a merge starts.
    pub(super) fn mark(&self) -> End {
        End {
            current: self.current,
            flat: self.flat,
            last: self.last,
            receptive: self.walk.receptive,
            trace_len: self.walk.trace.len(),
            suffix: Vec::new(),
            layers: self.layers.len(),
        }
    }

    /// Where a branch that started at `start` ended.
    pub(super) fn end_since(&self, start: &End) -> End {
        End {
            trace_len: start.trace_len,
            suffix: self
                .walk
                .trace
                .get(start.trace_len..)
                .map_or_else(Vec::new, <[_]>::to_vec),
            ..self.mark()
        }
    }

    pub(super) fn resume(&mut self, end: &End) {
        self.current = end.current;
        self.flat = end.flat;
        self.last = end.last;
        self.walk.receptive = end.receptive;
        self.walk.trace.truncate(end.trace_len);
        self.walk.trace.extend(end.suffix.iter().cloned());
    }

    /// Pushes a row for a structure whose totals are known once its body is
    /// checked ([`Checker::close_row`]); what follows nests one deeper.
    pub(super) fn open_row(&mut self, kind: RowKind, dsl: String, path: &str) -> usize {
        self.rows.push(Row {
            kind,
            dsl,
            depth: self.depth,
            path: path.to_string(),
            field: None,
            output: self.current.unwrap_or(Shape::Flat(0)),
            params: 0,
            macs: 0,
            receptive: None,
            binds: Default::default(),
        });
        self.depth += 1;
        self.rows.len() - 1
    }

    pub(super) fn close_row(&mut self, row: usize) {
        self.depth -= 1;
        let layers: Vec<&Row> = self.rows[row + 1..]
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Layer(_)))
            .collect();
        // A subtotal cannot overflow where the network's total did not
        // (`check_totals` refuses that network).
        let subtotal = |count: fn(&Row) -> u64| {
            shape::sum(&layers.iter().map(|r| count(r)).collect::<Vec<_>>()).unwrap_or(u64::MAX)
        };
        let (params, macs) = (subtotal(|r| r.params), subtotal(|r| r.macs));
        let r = &mut self.rows[row];
        r.params = params;
        r.macs = macs;
        if let Some(shape) = self.current {
            r.output = shape;
        }
        r.receptive = self.walk.receptive;
    }
}
