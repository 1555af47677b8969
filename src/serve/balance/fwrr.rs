//! HAProxy `roundrobin` (`lb_fwrr.c`, "fast weighted round-robin"): effective weights are the
//! configured ones times 16; each group (active, backup) has a current tree ordered by the
//! servers' next position, an init tree of servers not yet placed in this round (heaviest
//! first) and a next tree for the following round. A pick takes the first current server whose
//! position is due, else the next one from the init tree, advances it by
//! `total / weight` (carrying the remainder) and re-queues it in the current or next tree;
//! when both run dry the trees are switched. Saturated servers (`maxconn`) are set aside and
//! re-queued after the pick. The state is rebuilt when a server changes state.

use std::collections::BTreeSet;

use crate::serve::peers::Peers;

const BE_WEIGHT_SCALE: u64 = 16;
const SRV_UWGHT_RANGE: u64 = 256;
const SRV_EWGHT_MAX: u64 = 256 * BE_WEIGHT_SCALE;

/// Which tree a server is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    Curr,
    T0,
    T1,
}

#[derive(Debug, Default, Clone)]
struct Srv {
    eweight: u64,
    npos: u64,
    rweight: u64,
    /// The tree, and the node's (key, insertion sequence) in it.
    at: Option<(Tree, u64, u64)>,
}

#[derive(Debug, Default)]
struct Group {
    curr: BTreeSet<(u64, u64, usize)>,
    t0: BTreeSet<(u64, u64, usize)>,
    t1: BTreeSet<(u64, u64, usize)>,
    /// Whether `t0` is the init tree (and `t1` the next one).
    init_is_t0: bool,
    curr_pos: u64,
    curr_weight: u64,
    next_weight: u64,
}

/// The `roundrobin` state of one pool.
#[derive(Debug, Default)]
pub struct Fwrr {
    usable: Vec<bool>,
    srv: Vec<Srv>,
    act: Group,
    bck: Group,
    seq: u64,
}

impl Group {
    fn tree(&mut self, t: Tree) -> &mut BTreeSet<(u64, u64, usize)> {
        match t {
            Tree::Curr => &mut self.curr,
            Tree::T0 => &mut self.t0,
            Tree::T1 => &mut self.t1,
        }
    }

    fn init(&self) -> Tree {
        if self.init_is_t0 {
            Tree::T0
        } else {
            Tree::T1
        }
    }

    fn next(&self) -> Tree {
        if self.init_is_t0 {
            Tree::T1
        } else {
            Tree::T0
        }
    }
}

impl Fwrr {
    fn insert(&mut self, backup: bool, i: usize, t: Tree, key: u64) {
        self.seq += 1;
        let seq = self.seq;
        let g = if backup { &mut self.bck } else { &mut self.act };
        g.tree(t).insert((key, seq, i));
        self.srv[i].at = Some((t, key, seq));
    }

    fn dequeue(&mut self, backup: bool, i: usize) {
        if let Some((t, key, seq)) = self.srv[i].at.take() {
            let g = if backup { &mut self.bck } else { &mut self.act };
            g.tree(t).remove(&(key, seq, i));
        }
    }

    fn queue_by_weight(&mut self, backup: bool, i: usize, t: Tree) {
        let key = SRV_EWGHT_MAX - self.srv[i].eweight;
        self.insert(backup, i, t, key);
    }

    /// `fwrr_queue_srv`.
    fn queue(&mut self, backup: bool, i: usize) {
        let g = if backup { &self.bck } else { &self.act };
        let (curr_weight, next_weight, next) = (g.curr_weight, g.next_weight, g.next());
        let s = &mut self.srv[i];
        if s.eweight == 0 || s.npos >= 2 * curr_weight || s.npos >= curr_weight + next_weight {
            s.npos = s.npos.saturating_sub(curr_weight);
            self.queue_by_weight(backup, i, next);
        } else {
            let key = SRV_UWGHT_RANGE * s.npos
                + (SRV_EWGHT_MAX + s.rweight).saturating_sub(s.eweight) / BE_WEIGHT_SCALE;
            self.insert(backup, i, Tree::Curr, key);
        }
    }

    /// Rebuilds the groups (`fwrr_init_server_groups`) for these usable servers.
    fn rebuild(&mut self, peers: &Peers, usable: Vec<bool>) {
        *self = Fwrr {
            srv: peers
                .peers
                .iter()
                .map(|p| Srv {
                    eweight: u64::from(p.weight) * BE_WEIGHT_SCALE,
                    ..Srv::default()
                })
                .collect(),
            ..Fwrr::default()
        };
        for backup in [false, true] {
            let members: Vec<usize> = (0..peers.peers.len())
                .filter(|&i| usable[i] && peers.peers[i].backup == backup)
                .collect();
            let total: u64 = members.iter().map(|&i| self.srv[i].eweight).sum();
            let g = if backup { &mut self.bck } else { &mut self.act };
            g.curr_pos = total;
            g.curr_weight = total;
            g.next_weight = total;
            g.init_is_t0 = true;
            for i in members {
                self.queue_by_weight(backup, i, Tree::T0);
            }
        }
        self.usable = usable;
    }

    /// `fwrr_get_server_from_group`.
    fn server_from_group(&mut self, backup: bool) -> Option<usize> {
        let g = if backup { &self.bck } else { &self.act };
        let s1 = g.curr.iter().next().map(|&(_, _, i)| i);
        if let Some(i) = s1 {
            if self.srv[i].eweight > 0 && self.srv[i].npos <= g.curr_pos {
                return Some(i);
            }
        }
        let init = g.init();
        let curr_pos = g.curr_pos;
        let g = if backup { &mut self.bck } else { &mut self.act };
        if let Some(&(_, _, i)) = g.tree(init).iter().next() {
            if self.srv[i].eweight > 0 {
                self.dequeue(backup, i);
                self.srv[i].npos = curr_pos;
                return Some(i);
            }
        }
        s1
    }

    /// `fwrr_update_position`.
    fn update_position(&mut self, backup: bool, i: usize) {
        let g = if backup { &self.bck } else { &self.act };
        let (curr_pos, next_weight) = (g.curr_pos, g.next_weight);
        let s = &mut self.srv[i];
        if s.eweight == 0 {
            return;
        }
        if s.npos == 0 {
            s.npos = curr_pos;
        }
        s.npos += next_weight / s.eweight;
        s.rweight += next_weight % s.eweight;
        if s.rweight >= s.eweight {
            s.rweight -= s.eweight;
            s.npos += 1;
        }
    }

    fn group(&mut self, backup: bool) -> &mut Group {
        if backup {
            &mut self.bck
        } else {
            &mut self.act
        }
    }

    /// `fwrr_get_next_server`: `full` servers are set aside, `avoid`ed ones taken only when
    /// nothing else is left. Without a usable primary, the first usable backup, or the backup
    /// group with `option allbackups`.
    pub fn pick(
        &mut self,
        peers: &Peers,
        usable: Vec<bool>,
        all_backups: bool,
        full: impl Fn(usize) -> bool,
        avoid: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        if usable != self.usable || self.srv.len() != peers.peers.len() {
            self.rebuild(peers, usable);
        }
        let any_active = (0..peers.peers.len()).any(|i| self.usable[i] && !peers.peers[i].backup);
        if !any_active && !all_backups {
            return (0..peers.peers.len())
                .find(|&i| self.usable[i] && peers.peers[i].backup && !full(i) && !avoid(i));
        }
        let backup = !any_active;
        let mut switched = false;
        let mut avoided: Option<usize> = None;
        let mut set_aside: Vec<usize> = Vec::new();
        let chosen = loop {
            {
                let g = self.group(backup);
                if g.curr_weight == 0 {
                    g.curr_pos = g.next_weight;
                    g.curr_weight = g.next_weight;
                }
            }
            let srv = loop {
                if let Some(s) = self.server_from_group(backup) {
                    break Some(s);
                }
                if switched {
                    break None;
                }
                switched = true;
                let g = self.group(backup);
                g.init_is_t0 = !g.init_is_t0;
                g.curr_weight = g.next_weight;
                g.curr_pos = g.curr_weight;
            };
            let Some(srv) = srv else {
                break avoided;
            };
            self.update_position(backup, srv);
            self.dequeue(backup, srv);
            self.group(backup).curr_pos += 1;
            if !full(srv) {
                if !avoid(srv) {
                    break Some(srv);
                }
                avoided.get_or_insert(srv);
            }
            set_aside.push(srv);
        };
        if let Some(c) = chosen {
            self.queue(backup, c);
        }
        for &s in set_aside.iter().rev() {
            if Some(s) == chosen {
                continue;
            }
            if switched {
                let next = self.group(backup).next();
                self.queue_by_weight(backup, s, next);
            } else {
                self.queue(backup, s);
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::peers::Peer;

    fn sequence(weights: &[u32], n: usize) -> String {
        let p = Peers {
            name: "p".into(),
            peers: weights
                .iter()
                .enumerate()
                .map(|(i, &w)| {
                    Peer::new(([127, 0, 0, 1], 1000 + i as u16).into(), i.to_string(), w)
                })
                .collect(),
        };
        let mut f = Fwrr::default();
        (0..n)
            .map(|_| {
                let i = f
                    .pick(&p, vec![true; weights.len()], false, |_| false, |_| false)
                    .unwrap();
                (b'a' + i as u8) as char
            })
            .collect()
    }

    #[test]
    fn haproxy_2_6_sequences() {
        // Recorded from HAProxy 2.6 (`balance roundrobin`, one request at a time).
        assert_eq!(sequence(&[5, 1, 1], 14), "aaabaacaaabaac");
        assert_eq!(sequence(&[4, 3, 2], 18), "abacbaabcabacbaabc");
        assert_eq!(sequence(&[2, 1, 1], 8), "abacabac");
        assert_eq!(sequence(&[1, 1, 1], 6), "abcabc");
        assert_eq!(sequence(&[3, 2, 1], 12), "abacababacab");
        assert_eq!(
            sequence(&[10, 7, 3], 40),
            "ababacababacababaabcababacababacababaabc"
        );
    }
}
