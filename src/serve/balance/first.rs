//! HAProxy `first`: the first server in configuration order with a free connection slot
//! (`maxconn`), so that the later servers only take traffic when the earlier ones are full.

use crate::serve::peers::Peers;

pub fn pick(peers: &Peers, tier: &[usize], ok: impl Fn(usize) -> bool) -> Option<usize> {
    tier.iter()
        .copied()
        .find(|&i| ok(i) && peers.peers[i].has_room())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::peers::Peer;

    #[test]
    fn fills_servers_in_order() {
        let mut p = Peers::default();
        for i in 0..2u16 {
            let mut s = Peer::new(([127, 0, 0, 1], 1000 + i).into(), i.to_string(), 1);
            s.max_conns = Some(1);
            p.peers.push(s);
        }
        assert_eq!(pick(&p, &[0, 1], |_| true), Some(0));
        let g = p.peers[0].begin();
        assert_eq!(pick(&p, &[0, 1], |_| true), Some(1));
        let h = p.peers[1].begin();
        assert_eq!(pick(&p, &[0, 1], |_| true), None);
        drop((g, h));
    }
}
