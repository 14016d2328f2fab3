package core

// trie is a byte-wise prefix tree. Each node carries a count (how many times
// its prefix was subscribed, for SUB) and a set of pipes (who subscribed to
// it, for PUB). Matching walks the message once, whatever the number of
// subscriptions.
type trie struct {
	root node
}

type node struct {
	min   byte
	kids  []*node // kids[i] is the child for byte min+i
	count int
	pipes []*Pipe
	live  int // nodes below and including this one that carry anything
}

func newTrie() *trie { return &trie{} }

func (n *node) child(c byte, create bool) *node {
	if len(n.kids) == 0 {
		if !create {
			return nil
		}
		n.min = c
		n.kids = []*node{new(node)}
		return n.kids[0]
	}
	if c < n.min {
		if !create {
			return nil
		}
		grown := make([]*node, int(n.min-c)+len(n.kids))
		copy(grown[n.min-c:], n.kids)
		n.kids, n.min = grown, c
	} else if int(c-n.min) >= len(n.kids) {
		if !create {
			return nil
		}
		grown := make([]*node, int(c-n.min)+1)
		copy(grown, n.kids)
		n.kids = grown
	}
	k := n.kids[c-n.min]
	if k == nil && create {
		k = new(node)
		n.kids[c-n.min] = k
	}
	return k
}

// path returns the nodes from the root to topic, creating them if asked.
func (t *trie) path(topic []byte, create bool) []*node {
	path := make([]*node, 0, len(topic)+1)
	n := &t.root
	path = append(path, n)
	for _, c := range topic {
		if n = n.child(c, create); n == nil {
			return nil
		}
		path = append(path, n)
	}
	return path
}

// add counts one more subscription to topic; it reports whether the topic
// is new.
func (t *trie) add(topic []byte) bool {
	path := t.path(topic, true)
	last := path[len(path)-1]
	last.count++
	if last.count == 1 {
		for _, n := range path {
			n.live++
		}
		return true
	}
	return false
}

// rm removes one subscription to topic; it reports whether the topic is gone.
func (t *trie) rm(topic []byte) bool {
	path := t.path(topic, false)
	if path == nil || path[len(path)-1].count == 0 {
		return false
	}
	last := path[len(path)-1]
	last.count--
	if last.count > 0 {
		return false
	}
	t.unlive(path, topic)
	return true
}

func (t *trie) unlive(path []*node, topic []byte) {
	for _, n := range path {
		n.live--
	}
	// Prune children that carry nothing any more.
	for i := len(path) - 1; i > 0; i-- {
		if path[i].live == 0 {
			parent, c := path[i-1], topic[i-1]
			parent.kids[c-parent.min] = nil
		}
	}
}

// match reports whether any subscribed topic is a prefix of msg.
func (t *trie) match(msg []byte) bool {
	n := &t.root
	for i := 0; ; i++ {
		if n.count > 0 {
			return true
		}
		if i == len(msg) {
			return false
		}
		if n = n.child(msg[i], false); n == nil {
			return false
		}
	}
}

// each calls f with every subscribed topic once.
func (t *trie) each(f func(topic []byte)) {
	var walk func(n *node, prefix []byte)
	walk = func(n *node, prefix []byte) {
		if n.count > 0 {
			f(prefix)
		}
		for i, k := range n.kids {
			if k != nil && k.live > 0 {
				walk(k, append(prefix, n.min+byte(i)))
			}
		}
	}
	walk(&t.root, nil)
}

// addPipe subscribes p to topic; it reports whether topic had no subscriber.
func (t *trie) addPipe(topic []byte, p *Pipe) (first bool) {
	path := t.path(topic, true)
	last := path[len(path)-1]
	for _, q := range last.pipes {
		if q == p {
			return false
		}
	}
	last.pipes = append(last.pipes, p)
	if len(last.pipes) == 1 {
		for _, n := range path {
			n.live++
		}
		return true
	}
	return false
}

// rmPipe unsubscribes p from topic; it reports whether topic lost its last
// subscriber.
func (t *trie) rmPipe(topic []byte, p *Pipe) (last bool) {
	path := t.path(topic, false)
	if path == nil {
		return false
	}
	n := path[len(path)-1]
	for i, q := range n.pipes {
		if q == p {
			n.pipes = append(n.pipes[:i], n.pipes[i+1:]...)
			if len(n.pipes) == 0 {
				n.pipes = nil
				t.unlive(path, topic)
				return true
			}
			return false
		}
	}
	return false
}

// rmPipeAll removes p everywhere, calling gone for each topic left without
// subscribers.
func (t *trie) rmPipeAll(p *Pipe, gone func(topic []byte)) {
	var topics [][]byte
	var walk func(n *node, prefix []byte)
	walk = func(n *node, prefix []byte) {
		for _, q := range n.pipes {
			if q == p {
				topics = append(topics, append([]byte(nil), prefix...))
			}
		}
		for i, k := range n.kids {
			if k != nil && k.live > 0 {
				walk(k, append(prefix, n.min+byte(i)))
			}
		}
	}
	walk(&t.root, nil)
	for _, topic := range topics {
		if t.rmPipe(topic, p) && gone != nil {
			gone(topic)
		}
	}
}

// matchPipes appends to out each pipe subscribed to a prefix of msg, once.
// gen must be new for every call: it marks pipes already taken.
func (t *trie) matchPipes(msg []byte, gen uint64, out []*Pipe) []*Pipe {
	n := &t.root
	for i := 0; ; i++ {
		for _, p := range n.pipes {
			if p.matchGen != gen {
				p.matchGen = gen
				out = append(out, p)
			}
		}
		if i == len(msg) {
			return out
		}
		if n = n.child(msg[i], false); n == nil {
			return out
		}
	}
}
