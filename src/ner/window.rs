//! Overlapping windows over a long sub-token sequence. Every token is labelled from the one
//! window where it sits most centrally, so each sees at least `context` tokens of context on
//! both sides wherever the document allows, and nothing is ever truncated.

/// Sub-tokens `[start, end)` go into the model; the window labels `[own_start, own_end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub own_start: usize,
    pub own_end: usize,
}

impl Window {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The fewest windows of at most `content` tokens over `n` tokens, overlapping by `2 * context`,
/// all of one length (the last may start a little earlier to end at `n`). Equal lengths spend
/// no arithmetic on a last window padded out with tokens already labelled elsewhere.
pub fn plan(n: usize, content: usize, context: usize) -> Vec<Window> {
    assert!(content > 2 * context, "context must leave room in the window");
    if n <= content {
        return vec![Window { start: 0, end: n, own_start: 0, own_end: n }];
    }
    let overlap = 2 * context;
    let count = (n - overlap).div_ceil(content - overlap);
    let len = (n + (count - 1) * overlap).div_ceil(count);
    let mut starts: Vec<usize> = (0..count - 1).map(|i| i * (len - overlap)).collect();
    starts.push(n - len);
    let mut windows: Vec<Window> =
        starts.iter().map(|&s| Window { start: s, end: s + len, own_start: 0, own_end: 0 }).collect();
    // Each token goes to the window where it is most central (ties: the earlier window). As t
    // grows, centrality falls in earlier windows and rises in later ones, so one pass will do.
    let centrality = |win: &Window, t: usize| (t as i64 - win.start as i64).min(win.end as i64 - 1 - t as i64);
    let mut w = 0;
    let mut owner = Vec::with_capacity(n);
    for t in 0..n {
        while w + 1 < windows.len()
            && windows[w + 1].start <= t
            && (t >= windows[w].end || centrality(&windows[w + 1], t) > centrality(&windows[w], t))
        {
            w += 1;
        }
        owner.push(w);
    }
    for (i, win) in windows.iter_mut().enumerate() {
        win.own_start = owner.partition_point(|&o| o < i);
        win.own_end = owner.partition_point(|&o| o <= i);
    }
    windows.retain(|w| w.own_end > w.own_start);
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(n: usize, content: usize, context: usize) {
        let ws = plan(n, content, context);
        assert_eq!(ws[0].own_start, 0);
        assert_eq!(ws.last().unwrap().own_end, n);
        for pair in ws.windows(2) {
            assert_eq!(pair[0].own_end, pair[1].own_start, "owned ranges tile the document: {ws:?}");
        }
        for w in &ws {
            assert!(w.len() <= content);
            assert!(w.start <= w.own_start && w.own_end <= w.end);
            // Context on both sides, except at the document's edges.
            if w.own_start > 0 {
                assert!(w.own_start - w.start >= context, "{w:?}");
            }
            if w.own_end < n {
                assert!(w.end - w.own_end >= context, "{w:?}");
            }
        }
    }

    #[test]
    fn short_documents_take_one_window() {
        assert_eq!(plan(10, 126, 16), vec![Window { start: 0, end: 10, own_start: 0, own_end: 10 }]);
        assert_eq!(plan(0, 126, 16).len(), 1);
    }

    #[test]
    fn windows_share_one_length_and_are_as_few_as_possible() {
        for n in [255, 300, 444, 445, 1000, 30_001] {
            let ws = plan(n, 254, 32);
            assert!(ws.iter().all(|w| w.len() == ws[0].len()), "{ws:?}");
            assert_eq!(ws.len(), (n - 64).div_ceil(190), "{n}");
        }
        // 300 tokens: two windows of 182 rather than 254 + 254.
        assert_eq!(plan(300, 254, 32).iter().map(Window::len).collect::<Vec<_>>(), vec![182, 182]);
    }

    #[test]
    fn long_documents_tile_with_context() {
        for n in [127, 200, 253, 254, 255, 1000, 30_001] {
            for (content, context) in [(126, 16), (254, 32), (20, 4)] {
                check(n, content, context);
            }
        }
    }
}
